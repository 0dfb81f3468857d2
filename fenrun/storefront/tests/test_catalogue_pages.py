import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from fenrun.catalog.tests.factories import CategoryFactory, ProductFactory
from fenrun.core.sharing import shop_cover

from .helpers import add_image

pytestmark = pytest.mark.django_db


def meta(html: str, attribute: str, name: str) -> str:
    found = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', html)
    assert found, f"missing meta {name}"
    return found.group(1)


def test_home_lists_categories_and_featured_products(client, product):
    CategoryFactory(name="停用分類", slug="hidden", is_active=False)
    ProductFactory(name="下架商品", is_active=False)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "當季水果" in html
    assert "梨山高冷茶" in html
    assert "NT$680" in html
    assert "停用分類" not in html
    assert "下架商品" not in html
    # The base layout: shop name, search box, cart count, member links, language switch, htmx.
    assert "山嵐小農" in html
    assert 'action="/search/"' in html
    assert 'id="cart-count"' in html
    assert reverse("accounts:login") in html
    assert reverse("accounts:register") in html
    assert reverse("set_language") in html
    assert "/static/vendor/htmx.min.js" in html


def test_home_is_zh_hant_by_default_and_english_on_request(client, product):
    assert "加入購物車" not in client.get("/").content.decode()  # not on the home page
    zh = client.get(product.get_absolute_url()).content.decode()
    assert "加入購物車" in zh
    assert '<html lang="zh-hant">' in zh
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    en = client.get(product.get_absolute_url()).content.decode()
    assert "Add to cart" in en
    assert '<html lang="en">' in en


def test_category_page_includes_subcategory_products_and_breadcrumbs(client, fruit):
    citrus = CategoryFactory(name="柑橘", slug="citrus", parent=fruit)
    ProductFactory(category=fruit, name="愛文芒果")
    ProductFactory(category=citrus, name="茂谷柑")
    hidden = CategoryFactory(name="停售", slug="off-season", parent=fruit, is_active=False)
    ProductFactory(category=hidden, name="冬季草莓")
    ProductFactory(name="別類商品")

    html = client.get(citrus.get_absolute_url()).content.decode()
    assert "茂谷柑" in html and "愛文芒果" not in html
    assert 'href="/c/fruit/"' in html  # breadcrumb to the parent

    html = client.get(fruit.get_absolute_url()).content.decode()
    assert "愛文芒果" in html
    assert "茂谷柑" in html
    assert "冬季草莓" not in html
    assert "別類商品" not in html
    assert 'href="/c/citrus/"' in html  # sub-category chip


def test_unicode_slugs_work(client):
    category = CategoryFactory(name="茶葉", slug="茶葉")
    ProductFactory(category=category, name="東方美人", slug="東方美人茶")
    assert client.get("/c/茶葉/").status_code == 200
    assert client.get("/p/東方美人茶/").status_code == 200


def test_category_sorting_by_price(client, fruit):
    ProductFactory(category=fruit, name="貴的", price=Decimal("900"))
    ProductFactory(category=fruit, name="便宜的", price=Decimal("90"))
    html = client.get(fruit.get_absolute_url(), {"sort": "price"}).content.decode()
    assert html.index("便宜的") < html.index("貴的")
    html = client.get(fruit.get_absolute_url(), {"sort": "-price"}).content.decode()
    assert html.index("貴的") < html.index("便宜的")
    assert client.get(fruit.get_absolute_url(), {"sort": "nonsense"}).status_code == 200


@pytest.mark.parametrize("path", ["/c/no-such-category/", "/p/no-such-product/", "/c/%E4%B8%8D/"])
def test_unknown_slugs_are_404_pages(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "山嵐小農" in response.content.decode()  # the shop's own 404 page


def test_inactive_product_and_category_are_404(client, fruit):
    product = ProductFactory(category=fruit, is_active=False)
    assert client.get(product.get_absolute_url()).status_code == 404
    fruit.is_active = False
    fruit.save()
    assert client.get(fruit.get_absolute_url()).status_code == 404
    child = CategoryFactory(parent=fruit)
    assert client.get(child.get_absolute_url()).status_code == 404


def test_product_page_shows_price_stock_and_add_to_cart(client, product):
    html = client.get(product.get_absolute_url()).content.decode()
    assert "梨山高冷茶" in html
    assert "NT$680" in html
    assert "還剩 5 件" in html  # low stock
    assert 'action="/cart/add/"' in html
    assert f'name="product" value="{product.pk}"' in html


def test_sold_out_product_has_no_add_to_cart(client, fruit):
    product = ProductFactory(category=fruit, stock=0)
    html = client.get(product.get_absolute_url()).content.decode()
    assert "已售完" in html
    assert 'action="/cart/add/"' not in html


def test_product_open_graph_and_twitter_tags(client, product):
    html = client.get(product.get_absolute_url()).content.decode()
    assert meta(html, "property", "og:title") == "梨山高冷茶"
    assert meta(html, "property", "og:description") == "海拔兩千公尺的清香"
    assert meta(html, "property", "og:type") == "product"
    # Share cards carry the shop's public address (FENRUN_SITE_URL), whatever host asked.
    site = settings.FENRUN_SITE_URL.rstrip("/")
    assert meta(html, "property", "og:url") == f"{site}/p/lishan-tea/"
    image = meta(html, "property", "og:image")
    assert image.startswith(f"{site}/media/products/") and image.endswith(".png")
    assert meta(html, "name", "twitter:card") == "summary_large_image"
    assert meta(html, "property", "product:price:amount") == "680"
    assert meta(html, "property", "product:price:currency") == "TWD"
    assert '"@type": "Product"' in html


def test_product_without_image_shares_the_default_picture(client, fruit):
    product = ProductFactory(category=fruit)
    html = client.get(product.get_absolute_url()).content.decode()
    # No photo: the shop's cover (set by staff, or generated with the shop's name).
    assert meta(html, "property", "og:image") == shop_cover().url


def test_structured_data_cannot_break_out_of_its_script(client, fruit):
    product = ProductFactory(category=fruit, summary="</script><script>alert(1)</script>")
    html = client.get(product.get_absolute_url()).content.decode()
    ld = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in ld


def test_search_finds_by_name_and_category(client, product):
    ProductFactory(name="蜂蜜蛋糕")
    html = client.get("/search/", {"q": "高冷"}).content.decode()
    assert "梨山高冷茶" in html and "蜂蜜蛋糕" not in html
    html = client.get("/search/", {"q": "當季水果"}).content.decode()
    assert "梨山高冷茶" in html


def test_search_with_nothing_found_or_no_query(client, product):
    response = client.get("/search/", {"q": "不存在的東西"})
    assert response.status_code == 200
    assert "沒有符合" in response.content.decode()
    assert client.get("/search/").status_code == 200
    assert client.get("/search/", {"q": "x" * 5000, "page": "abc"}).status_code == 200


def test_search_does_not_show_inactive_products(client, product):
    ProductFactory(name="高冷下架品", is_active=False)
    html = client.get("/search/", {"q": "高冷"}).content.decode()
    assert "高冷下架品" not in html


def test_pagination_keeps_the_query(client, fruit):
    for n in range(30):
        ProductFactory(category=fruit, name=f"番茄{n:02d}")
    html = client.get("/search/", {"q": "番茄"}).content.decode()
    assert "?q=%E7%95%AA%E8%8C%84&amp;page=2" in html
    assert client.get("/search/", {"q": "番茄", "page": "2"}).status_code == 200
    assert client.get(fruit.get_absolute_url(), {"page": "999"}).status_code == 200


def test_product_gallery_lists_every_image(client, product):
    add_image(product, alt="第二張")
    html = client.get(product.get_absolute_url()).content.decode()
    assert 'alt="第二張"' in html
