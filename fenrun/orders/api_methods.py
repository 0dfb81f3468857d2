"""What a client needs to fill in an order: the shipping and payment methods, listed.

Public, like the catalogue: the fees are on every checkout page. Names of kinds and payment
methods are in the request's language; a shipping method's own name is the shop's wording.
"""

from decimal import Decimal

from django.conf import settings
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from fenrun.core.api_errors import errors
from fenrun.core.paging import LimitOffsetPage
from fenrun.core.permissions import public
from fenrun.orders.models import PaymentMethod, ShippingMethod

router = Router(tags=["orders"])


class ShippingMethodOut(Schema):
    code: str = Field(..., description="What an order's `shipping_method` takes.")
    name: str
    kind: str
    kind_label: str
    fee: Decimal
    free_threshold: Decimal | None = Field(
        ..., description="Goods total from which shipping is free; null for never."
    )
    needs_address: bool = Field(..., description="Home delivery: county, district, street, code.")
    needs_store: bool = Field(..., description="Store pickup: `cvs_store_name`, `cvs_store_id`.")

    @staticmethod
    def resolve_kind_label(obj):
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_needs_address(obj):
        return obj.kind == ShippingMethod.Kind.HOME

    @staticmethod
    def resolve_needs_store(obj):
        return obj.kind == ShippingMethod.Kind.CVS


class PaymentMethodOut(Schema):
    code: str = Field(..., description="What an order's `payment_method` takes.")
    name: str
    pay_within_hours: float | None = Field(
        ..., description="A web order unpaid this long is cancelled; null: no deadline."
    )
    ships_before_payment: bool = Field(..., description="Cash on delivery: paid at the door.")


@router.get(
    "/shipping",
    response={200: list[ShippingMethodOut], **errors(422)},
    summary="Shipping methods, with their fees",
    **public(),
)
@paginate(LimitOffsetPage)
def shipping_methods(request):
    return ShippingMethod.objects.filter(is_active=True)


@router.get(
    "/payment",
    response={200: list[PaymentMethodOut], **errors(422)},
    summary="Payment methods",
    **public(),
)
@paginate(LimitOffsetPage)
def payment_methods(request):
    hours = settings.FENRUN_PAYMENT_DEADLINE_HOURS
    return [
        {
            "code": method.value,
            "name": str(method.label),
            "pay_within_hours": hours.get(method.value) or None,
            "ships_before_payment": method == PaymentMethod.COD,
        }
        for method in PaymentMethod
    ]
