"""/healthz answers 200 when the database, cache and broker answer, 503 naming what is down;
every request and every job leaves one structured log line."""

import json
import logging

import pytest
from django.db import connection

from config.celery import app
from fenrun.core import health

pytestmark = pytest.mark.django_db


def test_all_up_answers_200(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_a_broker_that_does_not_answer_gives_503(client):
    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "down"}
    assert "127.0.0.1" not in response.content.decode()


def test_a_cache_that_does_not_answer_gives_503(client, settings):
    working = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    try:
        response = client.get("/healthz")
    finally:
        settings.CACHES = working  # before the shared fixture clears the cache
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "down"


def test_a_database_that_does_not_answer_gives_503(client, monkeypatch):
    def broken(*args, **kwargs):
        raise connection.Database.OperationalError("server closed the connection")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"


def test_healthz_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301


def test_each_request_logs_one_json_line_with_its_order_number(client, caplog):
    from pythonjsonlogger.json import JsonFormatter

    with caplog.at_level(logging.INFO, logger="fenrun.request"):
        client.get("/member/orders/FR20261201-0001/")
    (record,) = [r for r in caplog.records if r.name == "fenrun.request"]
    line = json.loads(JsonFormatter("%(levelname)s %(name)s %(message)s").format(record))
    assert line["method"] == "GET" and line["status"] in (302, 404)
    assert line["order_number"] == "FR20261201-0001"
    assert line["route"] == "storefront:member_order_detail"
    assert line["duration_ms"] >= 0


def test_each_job_logs_one_line(caplog):
    from fenrun.commissions.tasks import release_held_commissions

    with caplog.at_level(logging.INFO, logger="fenrun.task"):
        release_held_commissions.delay()
    (record,) = [r for r in caplog.records if r.name == "fenrun.task"]
    assert record.task == "fenrun.commissions.tasks.release_held_commissions"
    assert record.state == "SUCCESS" and record.duration_ms >= 0
