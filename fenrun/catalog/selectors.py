"""Catalogue reads shared by the API, the pages and the back office."""

from django.db.models import QuerySet

from fenrun.catalog.models import Category, Product


def active_category(slug: str) -> Category | None:
    return Category.objects.filter(slug=slug, is_active=True).first()


def active_products(*, category: Category | None = None, query: str = "") -> QuerySet[Product]:
    """Products for sale, optionally inside ``category`` (sub-categories included) and searched.

    Images and category come with the products, so listing a page costs a fixed number of queries.
    """
    products = Product.objects.active().select_related("category").prefetch_related("images")
    if category is not None:
        products = products.filter(category_id__in=category.descendant_ids())
    return products.search(query)


def active_product(slug: str) -> Product | None:
    return (
        Product.objects.active()
        .select_related("category")
        .prefetch_related("images")
        .filter(slug=slug)
        .first()
    )
