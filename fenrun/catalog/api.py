"""Products, read-only, for anyone: the storefront's catalogue as JSON."""

from decimal import Decimal

from django.urls import NoReverseMatch
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from fenrun.catalog import selectors
from fenrun.core.api_errors import ApiError, ErrorOut
from fenrun.core.paging import LimitOffsetPage
from fenrun.core.permissions import public

router = Router(tags=["catalogue"])


class CategoryOut(Schema):
    slug: str
    name: str


class ImageOut(Schema):
    url: str
    alt: str

    @staticmethod
    def resolve_url(obj, context) -> str:
        return context["request"].build_absolute_uri(obj.image.url)


def _absolute_url(obj, context) -> str | None:
    try:
        return context["request"].build_absolute_uri(obj.get_absolute_url())
    except NoReverseMatch:
        # The API must not fail because the storefront's pages are not mounted.
        return None


class ProductSummaryOut(Schema):
    id: int
    slug: str
    name: str
    summary: str
    price: Decimal
    compare_at_price: Decimal | None
    stock: int
    in_stock: bool
    category: CategoryOut
    image: ImageOut | None
    url: str | None

    @staticmethod
    def resolve_image(obj):
        return obj.main_image

    @staticmethod
    def resolve_url(obj, context):
        return _absolute_url(obj, context)


class ProductOut(ProductSummaryOut):
    description: str
    images: list[ImageOut]
    category_path: list[CategoryOut]

    @staticmethod
    def resolve_images(obj):
        return list(obj.images.all())

    @staticmethod
    def resolve_category_path(obj):
        return [*obj.category.ancestors(), obj.category]


@router.get(
    "",
    response={200: list[ProductSummaryOut], 404: ErrorOut, 422: ErrorOut},
    summary="List products for sale",
    **public(),
)
@paginate(LimitOffsetPage)
def list_products(
    request,
    category: str | None = Query(
        None, description="A category slug; its sub-categories are included."
    ),
    q: str = Query("", max_length=100, description="Words to find in names and descriptions."),
):
    """Active products only. Amounts are decimal strings in NT$ (e.g. "680.00")."""
    chosen = None
    if category:
        chosen = selectors.active_category(category)
        if chosen is None:
            raise ApiError(404, _("Not found."), {"category": [_("No such category.")]})
    return selectors.active_products(category=chosen, query=q)


@router.get(
    "/{slug}",
    response={200: ProductOut, 404: ErrorOut},
    summary="One product",
    **public(),
)
def get_product(request, slug: str):
    product = selectors.active_product(slug)
    if product is None:
        raise ApiError(404, _("Not found."), {"slug": [_("No product for sale has this slug.")]})
    return product
