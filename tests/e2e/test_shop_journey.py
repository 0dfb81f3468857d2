"""A member's shopping trip in a real headless Chromium on a phone-sized screen.

Browses the home page, opens a product, adds it to the cart as a guest, logs in at checkout
(the guest cart follows), picks county and district from lists (the postal code fills itself),
pays by ATM transfer with home delivery and finds the order in 我的訂單.
"""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "pass-word-123"


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 600), "#6a9f4b").save(buffer, format="PNG")
    return SimpleUploadedFile("tea.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def shop(transactional_db):
    from fenrun.accounts.tests.factories import UserFactory
    from fenrun.catalog.models import ProductImage
    from fenrun.catalog.tests.factories import CategoryFactory, ProductFactory
    from fenrun.orders.tests.factories import ShippingMethodFactory

    tea = CategoryFactory(name="茶葉", slug="tea")
    product = ProductFactory(
        category=tea,
        name="梨山高冷烏龍茶",
        slug="lishan-oolong",
        summary="海拔兩千公尺，冷冽清香",
        price=Decimal("880"),
        stock=8,
    )
    ProductImage.objects.create(product=product, image=_photo(), alt="梨山茶")
    ProductFactory(category=tea, name="阿里山金萱", slug="alishan-jinxuan", price=Decimal("520"))
    ShippingMethodFactory()  # 宅配 NT$100, free from NT$1,500
    member = UserFactory(email="amei@example.com", name="林阿美")
    return {"product": product, "member": member}


@pytest.fixture
def page(chromium):
    """A phone: the shop is used on phones first."""
    context = chromium.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-TW",
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_member_buys_with_atm_and_finds_the_order(live_server, shop, page):
    from playwright.sync_api import expect

    from fenrun.orders.models import Order

    base = live_server.url
    page.goto(base + "/")
    expect(page.locator(".brand")).to_contain_text("山嵐小農")

    # Home → product
    page.get_by_role("link", name=re.compile("梨山高冷烏龍茶")).first.click()
    expect(page).to_have_url(re.compile(r"/p/lishan-oolong/$"))
    expect(page.locator("h1")).to_have_text("梨山高冷烏龍茶")
    expect(page.locator('meta[property="og:title"]')).to_have_attribute("content", "梨山高冷烏龍茶")

    # Add two to the cart as a guest
    page.locator("#quantity").fill("2")
    page.get_by_role("button", name="加入購物車").click()
    expect(page.locator(".messages")).to_contain_text("已將 梨山高冷烏龍茶 加入購物車")
    expect(page.locator("#cart-count")).to_have_text("2")

    # Cart → checkout, where the guest chooses to log in
    page.locator("a.cart-link").click()
    expect(page.locator("#goods-total")).to_have_text("NT$1,760")
    page.get_by_role("link", name="前往結帳").click()
    page.locator(".notice").get_by_role("link", name="登入").click()
    page.locator("#id_username").fill("amei@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()

    # Back at checkout as the member: the guest cart came along.
    expect(page).to_have_url(re.compile(r"/checkout/$"))
    expect(page.locator("#cart-count")).to_have_text("2")
    expect(page.locator("#id_email")).to_have_value("amei@example.com")
    expect(page.get_by_label("收件人姓名")).to_have_value("林阿美")
    expect(page.locator("#grand-total")).to_have_text("NT$1,760")  # free shipping from NT$1,500

    page.get_by_label("手機號碼").fill("0912-345-678")
    # County → district lists; the district fills in the postal code, a new county clears it.
    district, postal_code = page.get_by_label("鄉鎮市區"), page.get_by_label("郵遞區號")
    expect(district).to_have_js_property("tagName", "SELECT")
    expect(district).to_be_disabled()
    page.get_by_label("縣市").select_option("新北市")
    district.select_option("板橋區")
    expect(postal_code).to_have_value("220")
    page.get_by_label("縣市").select_option("臺北市")
    expect(district).to_have_value("")
    expect(postal_code).to_have_value("")
    district.select_option("大安區")
    expect(postal_code).to_have_value("106")
    assert district.bounding_box()["width"] <= 390
    page.get_by_label("街道地址").fill("復興南路一段 1 號")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("fieldset[data-tw-address]").screenshot(
        path=str(ARTIFACTS / "checkout_address.png")
    )
    page.get_by_label("ATM 轉帳").check()
    page.get_by_role("button", name="確認下單").click()

    # The order-placed page shows how to pay.
    expect(page.locator("#atm-instructions")).to_contain_text("2888-1000-123456")
    order = Order.objects.get()
    assert order.user_id == shop["member"].pk
    assert order.grand_total == Decimal("1760")
    assert order.recipient_phone == "0912345678"
    assert order.payment_method == "atm"
    assert (order.county, order.district, order.postal_code) == ("臺北市", "大安區", "106")
    expect(page.locator("#payment-reference")).to_have_text(order.payment_reference)
    expect(page.locator("#cart-count")).to_have_text("0")

    # 我的訂單 lists it.
    page.get_by_role("link", name="會員中心").click()
    expect(page.locator("h1")).to_have_text("我的訂單")
    expect(page.locator(".order-list")).to_contain_text(order.number)
    expect(page.locator(".order-list")).to_contain_text("待付款")
    page.locator(".order-list a").first.click()
    expect(page.locator("h1")).to_contain_text(order.number)
    expect(page.locator("main")).to_contain_text("臺北市大安區復興南路一段 1 號")

    page.screenshot(path=str(ARTIFACTS / "shop_journey.png"), full_page=True)
