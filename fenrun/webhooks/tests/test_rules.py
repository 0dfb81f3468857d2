"""The pure rules of webhooks: the backoff, the signature check, the endpoint form."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenrun.webhooks import retries
from fenrun.webhooks.forms import EndpointForm
from fenrun.webhooks.signing import header_value, verify

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@given(st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=30 * 3600))
def test_the_next_try_comes_later_but_never_after_a_day(attempts, seconds_since):
    now = T0 + timedelta(seconds=seconds_since)
    upcoming = retries.next_attempt(T0, attempts, now)
    if now >= T0 + retries.GIVE_UP_AFTER:
        assert upcoming is None
    else:
        assert now < upcoming <= T0 + retries.GIVE_UP_AFTER
        assert upcoming - now <= retries.LONGEST_WAIT


def test_waits_double_from_thirty_seconds():
    waits = [retries.next_attempt(T0, n, T0) - T0 for n in (1, 2, 3, 4)]
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert retries.next_attempt(T0, 30, T0) - T0 == retries.LONGEST_WAIT


def test_a_signature_is_refused_when_forged_altered_or_old():
    body = b'{"id":"1"}'
    header = header_value("whsec_a", 1_800_000_000, body)
    assert verify("whsec_a", header, body, now=1_800_000_010)
    assert not verify("whsec_b", header, body, now=1_800_000_010)  # another secret
    assert not verify("whsec_a", header, b'{"id":"2"}', now=1_800_000_010)  # altered body
    assert not verify("whsec_a", header, body, now=1_800_000_000 + 301)  # replayed later
    assert not verify("whsec_a", "", body, now=1_800_000_000)
    assert not verify("whsec_a", "t=abc,v1=00", body, now=1_800_000_000)


@pytest.mark.parametrize(
    ("url", "allow_http", "valid"),
    [
        ("https://pos.example.tw/hooks", False, True),
        ("http://pos.example.tw/hooks", False, False),
        ("http://127.0.0.1:9000/hooks", True, True),
        ("ftp://pos.example.tw/hooks", True, False),
    ],
)
def test_the_endpoint_form_wants_https_outside_development(settings, url, allow_http, valid):
    settings.FENRUN_WEBHOOKS = {**settings.FENRUN_WEBHOOKS, "allow_http": allow_http}
    form = EndpointForm(
        data={
            "name": "POS",
            "url": url,
            "events": ["order.paid", "order.placed"],
            "is_active": "on",
        }
    )
    assert form.is_valid() is valid, form.errors
    if valid:
        # Stored in the list's own order, whatever order the boxes were ticked in.
        assert form.cleaned_data["events"] == ["order.placed", "order.paid"]
