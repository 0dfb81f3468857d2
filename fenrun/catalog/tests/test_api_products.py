import json
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenrun.catalog.models import ProductImage
from fenrun.catalog.tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/products"


def _slugs(response):
    return [item["slug"] for item in response.json()["items"]]


def test_lists_only_active_products_with_prices_as_decimal_strings(client):
    shown = ProductFactory(slug="oolong", name="烏龍茶", price=Decimal("680"), stock=4)
    ProductFactory(slug="hidden", is_active=False)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["limit"] == 20 and body["offset"] == 0
    item = body["items"][0]
    assert item["slug"] == shown.slug and item["name"] == "烏龍茶"
    assert Decimal(item["price"]) == Decimal("680") and item["stock"] == 4 and item["in_stock"]
    assert item["category"] == {"slug": shown.category.slug, "name": shown.category.name}


def test_category_filter_includes_sub_categories(client):
    root = CategoryFactory(slug="gifts")
    child = CategoryFactory(slug="dried", parent=root)
    other = CategoryFactory(slug="tea")
    ProductFactory(slug="gift-box", category=root)
    ProductFactory(slug="dried-mango", category=child)
    ProductFactory(slug="oolong", category=other)
    assert sorted(_slugs(client.get(URL, {"category": "gifts"}))) == ["dried-mango", "gift-box"]
    assert _slugs(client.get(URL, {"category": "dried"})) == ["dried-mango"]


def test_unknown_category_is_a_404_naming_the_field(client):
    response = client.get(URL, {"category": "nope"})
    assert response.status_code == 404
    assert "category" in response.json()["errors"]


def test_search_finds_by_name_and_description(client):
    ProductFactory(slug="mango", name="愛文芒果", description="屏東枋山")
    ProductFactory(slug="tea", name="烏龍茶")
    assert _slugs(client.get(URL, {"q": "芒果"})) == ["mango"]
    assert _slugs(client.get(URL, {"q": "枋山"})) == ["mango"]
    assert _slugs(client.get(URL, {"q": "咖啡"})) == []


def test_limit_and_offset_paginate(client):
    for i in range(5):
        ProductFactory(slug=f"p{i}", name=f"商品{i}")
    first = client.get(URL, {"limit": 2}).json()
    second = client.get(URL, {"limit": 2, "offset": 2}).json()
    last = client.get(URL, {"limit": 2, "offset": 4}).json()
    assert first["count"] == 5 and len(first["items"]) == 2
    seen = [i["slug"] for page in (first, second, last) for i in page["items"]]
    assert sorted(seen) == [f"p{i}" for i in range(5)]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"limit": "x"},
        {"offset": 2**63},
        {"offset": 10**7},
    ],
)
def test_bad_pagination_is_422_with_field(client, params):
    response = client.get(URL, params)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == set(params)


def test_list_costs_a_fixed_number_of_queries(client):
    for i in range(3):
        ProductFactory(slug=f"a{i}")
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    for i in range(10):
        product = ProductFactory(slug=f"b{i}")
        ProductImage.objects.create(product=product, image=ContentFile(b"x", name=f"b{i}.png"))
    with CaptureQueriesContext(connection) as large:
        client.get(URL)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_detail_by_slug_with_images_and_category_path(client):
    root = CategoryFactory(slug="gifts", name="伴手禮盒")
    child = CategoryFactory(slug="dried", name="果乾", parent=root)
    product = ProductFactory(slug="芒果乾", category=child, description="低溫烘焙")
    ProductImage.objects.create(
        product=product, image=ContentFile(b"x", name="m.png"), alt="芒果乾"
    )
    response = client.get(f"{URL}/芒果乾")
    assert response.status_code == 200
    body = response.json()
    assert body["description"] == "低溫烘焙"
    assert [c["slug"] for c in body["category_path"]] == ["gifts", "dried"]
    assert body["images"][0]["alt"] == "芒果乾"
    assert body["images"][0]["url"].startswith("http://testserver/media/products/")
    assert body["image"]["url"] == body["images"][0]["url"]


def test_unknown_or_inactive_product_is_a_404_json(client):
    ProductFactory(slug="retired", is_active=False)
    for slug in ("missing", "retired"):
        response = client.get(f"{URL}/{slug}")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert "slug" in response.json()["errors"]


def test_openapi_document_is_json_and_lists_the_paths(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    for path in (
        "/api/v1/products",
        "/api/v1/products/{slug}",
        "/api/v1/orders",
        "/api/v1/orders/{number}",
        "/api/v1/orders/{number}/status",
    ):
        assert path in document["paths"], path
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_interactive_docs_are_served(client):
    assert client.get("/api/v1/docs").status_code == 200


def test_the_catalogue_is_declared_public(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/products", "/api/v1/products/{slug}"):
        assert schema["paths"][path]["get"]["x-access"] == ["public"]
