"""Read queries of the shop pages: each page costs a fixed, small number of queries."""

from dataclasses import dataclass, field

from django.db.models import QuerySet

from fenrun.catalog.models import Category, Product
from fenrun.orders.models import Order

FEATURED_COUNT = 8
RELATED_COUNT = 4


def products_for_listing() -> QuerySet[Product]:
    return Product.objects.active().select_related("category").prefetch_related("images")


@dataclass
class CategoryTree:
    """Every category, loaded in one query; the catalogue is small (a few hundred nodes)."""

    by_id: dict[int, Category]
    children: dict[int | None, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "CategoryTree":
        categories = list(Category.objects.all())
        tree = cls(by_id={c.pk: c for c in categories})
        for category in categories:
            tree.children.setdefault(category.parent_id, []).append(category.pk)
        return tree

    def ancestors(self, category: Category) -> list[Category]:
        chain, seen, parent_id = [], {category.pk}, category.parent_id
        while parent_id is not None and parent_id not in seen:
            parent = self.by_id.get(parent_id)
            if parent is None:
                break
            chain.append(parent)
            seen.add(parent_id)
            parent_id = parent.parent_id
        return list(reversed(chain))

    def is_visible(self, category: Category) -> bool:
        """A category shows when it and every category above it are active."""
        return category.is_active and all(a.is_active for a in self.ancestors(category))

    def visible_children(self, category: Category | None) -> list[Category]:
        parent_id = category.pk if category else None
        return [
            self.by_id[pk] for pk in self.children.get(parent_id, []) if self.by_id[pk].is_active
        ]

    def visible_descendant_ids(self, category: Category) -> list[int]:
        """The category and every active category below it (an inactive one hides its subtree)."""
        result, stack = [], [category.pk]
        while stack:
            pk = stack.pop()
            if pk in result or not self.by_id[pk].is_active:
                continue
            result.append(pk)
            stack.extend(self.children.get(pk, []))
        return result


def top_categories() -> list[Category]:
    return list(Category.objects.filter(is_active=True, parent__isnull=True))


def featured_products(limit: int = FEATURED_COUNT) -> list[Product]:
    """The newest products in stock first: the shop has no editorial pick yet."""
    return list(products_for_listing().filter(stock__gt=0).order_by("-created_at", "-id")[:limit])


SORTS = {
    "": ("category__sort_order", "name", "id"),
    "price": ("price", "id"),
    "-price": ("-price", "id"),
    "new": ("-created_at", "-id"),
}


def category_products(category_ids: list[int], sort: str = "") -> QuerySet[Product]:
    return (
        products_for_listing()
        .filter(category_id__in=category_ids)
        .order_by(*SORTS.get(sort, SORTS[""]))
    )


def search_products(query: str, sort: str = "") -> QuerySet[Product]:
    return products_for_listing().search(query).order_by(*SORTS.get(sort, SORTS[""]))


def product_by_slug(slug: str) -> Product | None:
    return products_for_listing().filter(slug=slug).first()


def related_products(product: Product, limit: int = RELATED_COUNT) -> list[Product]:
    return list(
        products_for_listing()
        .filter(category_id=product.category_id, stock__gt=0)
        .exclude(pk=product.pk)
        .order_by("-created_at", "-id")[:limit]
    )


def member_orders(user) -> QuerySet[Order]:
    return (
        Order.objects.filter(user=user).select_related("shipping_method").prefetch_related("lines")
    )


def member_order(user, number: str) -> Order | None:
    return (
        Order.objects.filter(user=user, number=number)
        .select_related("shipping_method")
        .prefetch_related("lines", "status_changes", "payments")
        .first()
    )
