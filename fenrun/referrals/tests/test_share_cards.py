"""Share cards: a pasted shop or product link previews with a complete card in LINE, Facebook
and X, and the fetchers that read it are never counted as clicks."""

import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fenrun.catalog.models import ProductImage
from fenrun.catalog.tests.factories import CategoryFactory, ProductFactory
from fenrun.core import sharing
from fenrun.core.models import ShareSettings
from fenrun.core.testing import grant_role
from fenrun.referrals.middleware import COOKIE_NAME
from fenrun.referrals.models import Click

from .conftest import make_user
from .test_links import BROWSER, code_of

pytestmark = pytest.mark.django_db

SITE = "https://shop.example.tw"

# The agents each service documents for its link-preview fetcher.
FETCHERS = {
    "facebook": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "x": "Twitterbot/1.0",
    "line preview": "facebookexternalhit/1.1;line-poker/1.0",
    "line spider": "Mozilla/5.0 (compatible; Linespider/1.1; +https://lin.ee/4dwXkTH)",
    "line crawler": "Line/1.0 (compatible; Line-Crawler; +https://help.line.me/)",
}

REQUIRED = [
    ("property", "og:title"),
    ("property", "og:description"),
    ("property", "og:image"),
    ("property", "og:image:width"),
    ("property", "og:image:height"),
    ("property", "og:url"),
    ("property", "og:type"),
    ("property", "og:site_name"),
    ("name", "twitter:card"),
    ("name", "twitter:image"),
]


def metas(html: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for _attribute, name, content in re.findall(
        r'<meta (property|name)="([^"]+)" content="([^"]*)"', html
    ):
        found.setdefault(name, []).append(content)
    return found


def card(html: str) -> dict[str, str]:
    tags = metas(html)
    for _attribute, name in REQUIRED:
        assert len(tags.get(name, [])) == 1, f"{name}: {tags.get(name)}"
    return {name: values[0] for name, values in tags.items()}


def png(width=8, height=8, name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#3a7d46").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.FENRUN_SITE_URL = SITE + "/"


@pytest.fixture
def member():
    from fenrun.referrals import services

    user = make_user()
    services.ensure_code(user)
    return user


@pytest.mark.parametrize("agent", FETCHERS.values(), ids=FETCHERS.keys())
def test_the_shop_link_previews_with_a_complete_card(client, member, agent):
    link = f"/r/{code_of(member)}"
    response = client.get(link, HTTP_USER_AGENT=agent)
    assert response.status_code == 200
    tags = card(response.content.decode())
    assert tags["og:title"] == tags["og:site_name"] == "山嵐小農"
    assert tags["og:description"] and tags["og:type"] == "website"
    assert tags["og:url"] == SITE + link  # a tap on the card still goes through the link
    assert tags["og:image"].startswith(SITE + "/media/share/default-cover-")
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert tags["twitter:card"] == "summary_large_image"
    assert not Click.objects.exists() and COOKIE_NAME not in response.cookies


@pytest.mark.parametrize("agent", FETCHERS.values(), ids=FETCHERS.keys())
def test_a_product_link_previews_with_the_products_photo(client, member, agent):
    product = ProductFactory(slug="tea", name="高山烏龍", summary="清香回甘")
    ProductImage.objects.create(product=product, image=png(800, 600), alt="茶湯")
    link = f"/r/{code_of(member)}/tea"
    response = client.get(link, HTTP_USER_AGENT=agent)
    tags = card(response.content.decode())
    assert (tags["og:title"], tags["og:description"], tags["og:type"]) == (
        "高山烏龍",
        "清香回甘",
        "product",
    )
    assert tags["og:url"] == SITE + link
    assert tags["og:image"].startswith(SITE + "/media/products/")
    assert (tags["og:image:width"], tags["og:image:height"]) == ("800", "600")
    assert not Click.objects.exists()


def test_a_person_in_lines_browser_is_still_counted(client, member):
    response = client.get(f"/r/{code_of(member)}", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302 and Click.objects.count() == 1


def test_product_without_photos_shares_the_shop_cover(client):
    ProductFactory(slug="rice", name="池上米")
    tags = card(client.get("/p/rice/").content.decode())
    assert tags["og:image"] == sharing.shop_cover().url
    assert tags["og:url"] == SITE + "/p/rice/"


def test_home_has_a_canonical_link_and_the_card(client):
    html = client.get("/").content.decode()
    assert f'<link rel="canonical" href="{SITE}/">' in html
    assert card(html)["og:url"] == SITE + "/"


def test_a_category_shares_its_own_name(client):
    CategoryFactory(slug="fruit", name="當季水果", description="產地直送")
    tags = card(client.get("/c/fruit/").content.decode())
    assert (tags["og:title"], tags["og:description"]) == ("當季水果", "產地直送")
    assert tags["og:url"] == SITE + "/c/fruit/"


def test_the_generated_cover_is_a_1200_by_630_png_made_once(client, settings):
    picture = sharing.default_cover()
    path = picture.url.removeprefix(SITE + "/media/")
    with default_storage.open(path) as stored:
        image = Image.open(stored)
        assert (image.format, image.size) == ("PNG", (1200, 630))
    before = default_storage.get_modified_time(path)
    assert sharing.default_cover() == picture
    assert default_storage.get_modified_time(path) == before
    settings.FENRUN_SHOP_NAME = "另一家店"
    assert sharing.default_cover().url != picture.url  # a new name, a new picture


def test_a_cover_set_by_staff_replaces_the_generated_one(client):
    assert "default-cover" in sharing.shop_cover().url
    ShareSettings.objects.create(cover_image=png(1200, 630, "cover.png"), description="小農直送")
    cover = sharing.shop_cover()
    assert cover.url.startswith(SITE + "/media/share/cover") and cover.width == 1200
    tags = card(client.get("/").content.decode())
    assert (tags["og:image"], tags["og:description"]) == (cover.url, "小農直送")


def test_the_cover_is_a_catalogue_managers_setting(client):
    manager = make_user(is_staff=True)
    grant_role(manager, "店長")
    client.force_login(manager)
    response = client.get("/admin/core/sharesettings/")
    assert response.status_code == 302
    assert client.get(response.url).status_code == 200
    shipper = make_user(is_staff=True)
    grant_role(shipper, "出貨")
    client.force_login(shipper)
    assert client.get("/admin/core/sharesettings/").status_code == 403
