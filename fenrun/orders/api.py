"""Orders over JSON: members and integrators place and read orders, staff move them along.

Who may do what:
- a logged-in member (session cookie, with Django's CSRF token on writes) places orders for
  themselves and reads their own;
- an integrator (``Authorization: Bearer <key>``) places orders under its own name as the
  order's source, may send the buyer's e-mail and an ``external_ref`` that is imported once,
  and reads the orders of its source;
- staff (a session with the order permissions) read every order and change statuses.

Prices are never taken from the client: the server prices every line. A request that carries
any field not documented here (``unit_price``, ``grand_total`` ...) is refused with 422, so a
tampered request fails visibly instead of being half-obeyed.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from fenrun.catalog.models import Product
from fenrun.core.api_errors import ApiError
from fenrun.core.auth import is_integrator, member_or_integrator
from fenrun.core.validators import normalize_tw_mobile
from fenrun.orders import selectors
from fenrun.orders.models import Order, PaymentMethod, ShippingMethod
from fenrun.orders.services import (
    CheckoutError,
    Recipient,
    change_status,
    place_order,
)
from fenrun.orders.status import OrderStatus, allowed_targets

router = Router(tags=["orders"], auth=member_or_integrator)

MEMBER_API_SOURCE = "api"
MAX_QUANTITY = 10_000


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class AlreadyImportedOut(ErrorOut):
    order_number: str


class TransitionRefusedOut(ErrorOut):
    allowed: list[str]


# -- input -------------------------------------------------------------------------------------


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


ProductId = Annotated[int, Field(strict=True, ge=1, le=2**63 - 1)]
ProductSlug = Annotated[str, Field(min_length=1, max_length=120)]


class OrderItemIn(Strict):
    product: ProductId | ProductSlug = Field(
        ..., description="The product's slug, or its numeric id.", examples=["pingtung-mango"]
    )
    quantity: int = Field(..., strict=True, ge=1, le=MAX_QUANTITY, examples=[2])


class OrderIn(Strict):
    items: list[OrderItemIn] = Field(..., min_length=1, max_length=100)
    recipient_name: str = Field(..., min_length=1, max_length=60)
    recipient_phone: str = Field(..., max_length=20, description="A mobile number, 09xxxxxxxx.")
    email: str = Field(
        "",
        max_length=254,
        description="The buyer's e-mail; a member's own address when left out.",
    )
    county: str = Field(
        "",
        max_length=10,
        description="Home delivery: one of Taiwan's 22 counties and cities as the post office "
        "writes them (臺北市, 新北市 ... 連江縣); 台 is accepted and stored as 臺.",
        examples=["臺北市"],
    )
    district: str = Field(
        "",
        max_length=10,
        description="Home delivery: a district (鄉鎮市區) of that county, e.g. 大安區.",
        examples=["大安區"],
    )
    street: str = Field("", max_length=120, description="Home delivery: street and number.")
    postal_code: str = Field(
        "",
        max_length=6,
        description="Home delivery: 3, 5 or 6 digits, starting with the district's 3-digit "
        "code (106 for 臺北市大安區). Wrong county, district or code: 422 naming each field.",
        examples=["106"],
    )
    cvs_store_name: str = Field("", max_length=60)
    cvs_store_id: str = Field("", max_length=20)
    note: str = Field("", max_length=300)
    shipping_method: str = Field(..., max_length=30, description="A shipping method's code.")
    payment_method: PaymentMethod
    external_ref: str = Field(
        "",
        max_length=64,
        description="Integrators only: your own order id. Imported once per integrator; "
        "a repeat answers 409 with the existing order number.",
    )


class StatusIn(Strict):
    status: OrderStatus
    note: str = Field("", max_length=300)


# -- output ------------------------------------------------------------------------------------


class LineOut(Schema):
    product_slug: str
    product_name: str
    unit_price: Decimal
    quantity: int
    line_total: Decimal


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    at: datetime = Field(..., alias="created_at")
    note: str | None

    @staticmethod
    def resolve_note(obj, context):
        # Staff notes can be internal; the buyer's side sees when, not why.
        return obj.note if _is_staff(context["request"].auth, "view") else None


class RecipientOut(Schema):
    name: str = Field(..., alias="recipient_name")
    phone: str = Field(..., alias="recipient_phone")
    email: str
    county: str
    district: str
    street: str
    postal_code: str
    cvs_store_name: str
    cvs_store_id: str


class OrderSummaryOut(Schema):
    number: str
    status: str
    status_label: str
    source: str
    external_ref: str
    grand_total: Decimal
    placed_at: datetime

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.status_label)


class OrderOut(OrderSummaryOut):
    paid_at: datetime | None
    completed_at: datetime | None
    recipient: RecipientOut
    shipping_method: str
    payment_method: str
    payment_reference: str
    note: str
    goods_total: Decimal
    discount_total: Decimal
    shipping_fee: Decimal
    credit_used: Decimal
    lines: list[LineOut]
    history: list[StatusChangeOut]
    next_statuses: list[str]

    @staticmethod
    def resolve_recipient(obj):
        return obj

    @staticmethod
    def resolve_shipping_method(obj):
        return obj.shipping_method.code

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.all())

    @staticmethod
    def resolve_history(obj):
        return list(obj.status_changes.all())

    @staticmethod
    def resolve_next_statuses(obj):
        return allowed_targets(obj.status, payment_method=obj.payment_method)


class OrderPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[OrderSummaryOut]


# -- helpers -----------------------------------------------------------------------------------


def _is_staff(auth, level: str) -> bool:
    if auth is None or is_integrator(auth):
        return False
    return bool(auth.is_staff and auth.has_perm(f"orders.{level}_order"))


def _visible_orders(request):
    auth = request.auth
    if is_integrator(auth):
        return selectors.orders_visible_to(source=auth.name)
    if _is_staff(auth, "view"):
        return selectors.orders_visible_to(everything=True)
    return selectors.orders_visible_to(user=auth)


def _detail(order_id: int) -> Order:
    return selectors.orders_with_details().get(pk=order_id)


def _resolve_items(items: list[OrderItemIn]) -> list[tuple[int, int]]:
    """(product id, quantity) pairs, with a reason per item for unknown or short products."""
    ids = {item.product for item in items if isinstance(item.product, int)}
    slugs = {item.product for item in items if isinstance(item.product, str)}
    found = Product.objects.filter(Q(pk__in=ids) | Q(slug__in=slugs), is_active=True)
    by_id = {p.pk: p for p in found}
    by_slug = {p.slug: p for p in by_id.values()}
    errors: dict[str, list[str]] = {}
    wanted: dict[int, int] = {}
    resolved = []
    for index, item in enumerate(items):
        product = (by_id if isinstance(item.product, int) else by_slug).get(item.product)
        if product is None:
            errors[f"items.{index}.product"] = [
                _("No product for sale is “%(product)s”.") % {"product": item.product}
            ]
            continue
        wanted[product.pk] = wanted.get(product.pk, 0) + item.quantity
        resolved.append((index, product))
    for index, product in resolved:
        if wanted[product.pk] > product.stock:
            errors[f"items.{index}.quantity"] = [
                _("Only %(stock)s of %(name)s left.")
                % {"stock": product.stock, "name": product.name}
            ]
    if errors:
        raise ApiError(422, _("Some items cannot be ordered."), errors)
    return [(product.pk, items[index].quantity) for index, product in resolved]


def _already_imported(source: str, external_ref: str) -> bool:
    """The cheap check; the unique constraint still decides when two pushes race."""
    return Order.objects.filter(source=source, external_ref=external_ref).exists()


def _conflict_for_ref(source: str, external_ref: str):
    number = (
        Order.objects.filter(source=source, external_ref=external_ref)
        .values_list("number", flat=True)
        .first()
    )
    message = _("This external reference was already imported as order %(number)s.") % {
        "number": number
    }
    return Status(
        409,
        {"detail": message, "errors": {"external_ref": [message]}, "order_number": number},
    )


# -- endpoints ---------------------------------------------------------------------------------


@router.post(
    "",
    response={
        201: OrderOut,
        401: ErrorOut,
        403: ErrorOut,
        409: AlreadyImportedOut,
        422: ErrorOut,
    },
    summary="Place an order",
)
def create_order(request, payload: OrderIn):
    """Place an order at today's prices.

    Extra fields (such as prices or totals) are refused with 422: the server prices every line.
    Errors name the field at fault, e.g. ``{"errors": {"items.0.quantity": ["Only 3 ... left."]}}``.
    """
    auth = request.auth
    if is_integrator(auth):
        user, source, email = None, auth.name, payload.email.strip()
        if payload.external_ref and _already_imported(source, payload.external_ref):
            return _conflict_for_ref(source, payload.external_ref)
    else:
        if payload.external_ref:
            raise ApiError(
                422,
                _("Invalid input."),
                {"external_ref": [_("Only integrators can send an external reference.")]},
            )
        user, source, email = auth, MEMBER_API_SOURCE, payload.email.strip() or auth.email
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ApiError(
                422, _("Invalid input."), {"email": [_("Enter a valid e-mail address.")]}
            ) from None
    shipping = ShippingMethod.objects.filter(code=payload.shipping_method, is_active=True).first()
    if shipping is None:
        raise ApiError(
            422,
            _("Invalid input."),
            {"shipping_method": [_("No shipping method has this code.")]},
        )
    items = _resolve_items(payload.items)
    recipient = Recipient(
        name=payload.recipient_name,
        phone=normalize_tw_mobile(payload.recipient_phone),
        email=email,
        county=payload.county,
        district=payload.district,
        street=payload.street,
        postal_code=payload.postal_code.strip(),
        cvs_store_name=payload.cvs_store_name,
        cvs_store_id=payload.cvs_store_id.strip(),
        note=payload.note,
    )
    try:
        order = place_order(
            items=items,
            recipient=recipient,
            shipping_method=shipping,
            payment_method=payload.payment_method.value,
            user=user,
            source=source,
            external_ref=payload.external_ref,
            context={"attribution": None},
        )
    except CheckoutError as exc:
        if exc.field == "external_ref":
            # Two pushes of the same order raced; the database let one through.
            return _conflict_for_ref(source, payload.external_ref)
        raise ApiError(422, _("The order cannot be placed."), exc.errors) from None
    return Status(201, _detail(order.pk))


@router.get("", response={200: OrderPage, 401: ErrorOut, 422: ErrorOut}, summary="List orders")
def list_orders(
    request,
    status: OrderStatus | None = None,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
):
    """A member's own orders, an integrator's own orders, or (staff) every order; newest first."""
    orders = _visible_orders(request)
    if status is not None:
        orders = orders.filter(status=status.value)
    return {
        "count": orders.count(),
        "limit": limit,
        "offset": offset,
        "items": list(orders[offset : offset + limit]),
    }


@router.get(
    "/{number}", response={200: OrderOut, 401: ErrorOut, 404: ErrorOut}, summary="One order"
)
def get_order(request, number: str):
    order_id = _visible_orders(request).filter(number=number).values_list("pk", flat=True).first()
    if order_id is None:
        raise ApiError(404, _("Not found."), {"number": [_("No such order.")]})
    return _detail(order_id)


@router.post(
    "/{number}/status",
    response={
        200: OrderOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: TransitionRefusedOut,
        422: ErrorOut,
    },
    summary="Change an order's status (staff)",
)
def set_order_status(request, number: str, payload: StatusIn):
    """Move an order along its status machine; a move it does not allow answers 409."""
    if not _is_staff(request.auth, "change"):
        raise ApiError(403, _("Only staff can change an order's status."))
    order = Order.objects.filter(number=number).first()
    if order is None:
        raise ApiError(404, _("Not found."), {"number": [_("No such order.")]})
    try:
        change_status(order, payload.status.value, actor=request.auth, note=payload.note)
    except ValueError as exc:
        # TransitionError, or a domain refusal raised by a subscriber in the same transaction.
        return Status(
            409,
            {
                "detail": str(exc),
                "errors": {"status": [str(exc)]},
                "allowed": allowed_targets(order.status, payment_method=order.payment_method),
            },
        )
    return _detail(order.pk)
