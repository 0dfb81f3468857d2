"""One rule for control characters at the edge: what counts, and how each edge refuses it."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fenrun.core import input_guard

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\x85", "\x9f", "\ud800"]
)
def test_control_characters(char):
    assert input_guard.has_control_character(f"ab{char}cd")
    assert input_guard.path_has_control_character(f"/p/{char}/")


@pytest.mark.parametrize(
    "text", ["王小明", "line one\nline two\r\n\tindented", "🌾", "a\u00a0b", ""]
)
def test_text_people_type_is_not_refused(text):
    assert not input_guard.has_control_character(text)


def test_a_path_may_not_hold_tab_or_newlines():
    assert input_guard.path_has_control_character("/p/a\tb/")
    assert input_guard.path_has_control_character("/p/a\nb/")


def test_document_paths_name_the_fields_at_fault():
    document = {"items": [{"name": "ok"}, {"name": "a\x00"}], "bad\x01key": 1, "note": "fine"}
    assert sorted(input_guard.document_paths_with_control_characters(document)) == [
        "__all__",
        "items.1.name",
    ]


def test_a_deep_document_is_walked_without_recursion():
    document = "\x00"
    for _ in range(100_000):
        document = [document]
    assert input_guard.document_paths_with_control_characters(document) == ["0" + ".0" * 99_999]


def test_query_string_api_answers_422_in_the_api_shape():
    response = Client().get("/api/v1/products", {"q": "a\x00b"})
    assert response.status_code == 422
    assert response.json()["code"] == "control_character"
    assert set(response.json()["errors"]) == {"q"}


def test_a_bad_query_key_is_not_echoed():
    response = Client().get("/api/v1/products?a%00b=1")
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"__all__"}


def test_a_page_answers_400_with_the_shop_page():
    response = Client().get("/search/", {"q": "\x00"})
    assert response.status_code == 400
    assert b'class="site-header"' in response.content


def test_a_path_with_a_control_character_is_unknown():
    assert Client().get("/p/%00/").status_code == 404
    api = Client().get("/api/v1/products/%01")
    assert api.status_code == 404
    assert api.json()["code"] == "not_found"


def test_json_body_any_type_under_the_api():
    # The API reads a body as JSON whatever its Content-Type says, so the guard does too.
    response = Client().post(
        "/api/v1/orders", json.dumps({"note": "\x00"}), content_type="text/plain"
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"note": [response.json()["errors"]["note"][0]]}


def test_a_json_escape_that_makes_a_lone_surrogate_is_refused():
    response = Client().post(
        "/api/v1/orders", '{"note": "\\ud800"}', content_type="application/json"
    )
    assert response.status_code == 422


def test_multipart_and_form_encoded_fields():
    client = Client()
    assert client.post("/checkout/", {"note": "\x00"}).status_code == 400
    encoded = client.post(
        "/checkout/", "note=%01", content_type="application/x-www-form-urlencoded"
    )
    assert encoded.status_code == 400


def test_file_bytes_are_not_text():
    upload = SimpleUploadedFile("photo.png", b"\x00\x01\x02", content_type="image/png")
    assert Client().post("/cart/add/", {"image": upload}).status_code != 400


def test_good_text_passes():
    response = Client().get("/api/v1/products", {"q": "高麗菜\t🌾"})
    assert response.status_code == 200


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain"])
@pytest.mark.parametrize("method", ["post", "put"])
def test_an_api_body_is_json_whatever_its_type_says(method, content_type):
    response = getattr(Client(), method)(
        "/api/v1/commissions/settings", '{"note": "\\u0000"}', content_type=content_type
    )
    assert response.status_code == 422
    assert response.json()["code"] == "control_character"
