"""Orders over JSON: members and integrators place and read orders, staff move them along.

Who may do what:
- a logged-in member (session cookie, with Django's CSRF token on writes) places orders for
  themselves and reads their own;
- an integrator (``Authorization: Bearer <key>``, each operation naming the scope it needs)
  places orders under its own name as the order's source (``orders.write``): it may name the
  buyer (a member's e-mail or mobile number), a referral code the buyer gave, an
  ``external_ref`` that is imported once, and that the order is already paid (a POS sale); it
  reads the orders of its source (``orders.read``) and moves them along the status machine
  (``orders.status``). ``fenrun.orders.integrators`` holds those rules;
- staff with an order capability (MANAGE_ORDERS or FULFIL_ORDERS) read every order; FULFIL_ORDERS
  may move an order to shipped, every other move needs MANAGE_ORDERS. Staff without
  VIEW_CONTACT_DATA see buyers' e-mail addresses masked.

Refusals are ``DomainError``s answered by the one handler in ``fenrun.core.api_errors``:
``{"detail", "code", "errors"}``.

Prices are never taken from the client: the server prices every line. A request that carries
any field not documented here (``unit_price``, ``grand_total`` ...) is refused with 422, so a
tampered request fails visibly instead of being half-obeyed.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from fenrun.catalog.models import Product
from fenrun.core.api_errors import ApiError, ErrorOut, errors
from fenrun.core.auth import is_integrator
from fenrun.core.paging import LimitOffsetPage
from fenrun.core.permissions import Capability, has, has_any, member_only, staff_only
from fenrun.core.privacy import mask_email
from fenrun.core.schemas import InputSchema
from fenrun.core.scopes import Scope
from fenrun.orders import selectors
from fenrun.orders.integrators import push_order
from fenrun.orders.models import Carrier, Order, PaymentMethod, ShippingMethod
from fenrun.orders.services import Recipient, change_status, place_order
from fenrun.orders.status import OrderStatus, allowed_targets

router = Router(tags=["orders"])

# Who sees every order (and the staff notes in its history).
ORDER_READERS = (Capability.MANAGE_ORDERS, Capability.FULFIL_ORDERS)

MEMBER_API_SOURCE = "api"
# What only an integrator may send when placing an order; a member sending one gets 422.
INTEGRATOR_FIELDS = ("external_ref", "buyer_email", "buyer_phone", "referral_code", "paid")
MAX_QUANTITY = 10_000


class AlreadyImportedOut(ErrorOut):
    """``code`` "already_imported"; ``errors.order_number`` holds the order it was imported as."""


class TransitionRefusedOut(ErrorOut):
    """``code`` "transition_refused" with ``errors.allowed``, the statuses the order may move to;
    or another code when a rule elsewhere (commissions, wallet) refuses the move."""


# -- input -------------------------------------------------------------------------------------


ProductId = Annotated[int, Field(strict=True, ge=1, le=2**63 - 1)]
ProductSlug = Annotated[str, Field(min_length=1, max_length=120)]


class OrderItemIn(InputSchema):
    product: ProductId | ProductSlug = Field(
        ..., description="The product's slug, or its numeric id.", examples=["pingtung-mango"]
    )
    quantity: int = Field(..., strict=True, ge=1, le=MAX_QUANTITY, examples=[2])


class OrderIn(InputSchema):
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
    buyer_email: str = Field(
        "",
        max_length=254,
        description="Integrators only: the buyer's e-mail. A member's address makes it that "
        "member's order (their upline earns, as on the web); any other address a guest order "
        "with it. The order's `email` when that is left out.",
    )
    buyer_phone: str = Field(
        "",
        max_length=20,
        description="Integrators only: the buyer's mobile number (09xxxxxxxx); a member's "
        "number makes it that member's order. Naming another member than `buyer_email`: 422 "
        "`buyer_ambiguous`.",
    )
    referral_code: str = Field(
        "",
        max_length=40,
        description="Integrators only: a referral code the buyer gave; a guest order is "
        "attributed to its owner. Unknown: 422 `unknown_referral_code`; the buyer's own: 422 "
        "`own_referral_code`. A member's order goes to the member's sponsor, as on the web.",
    )
    paid: bool = Field(
        False,
        description="Integrators only: the order was paid to you (a POS sale). It is placed and "
        "paid at once (status `paid`, a payment recorded with your name as its source).",
    )


class StatusIn(InputSchema):
    status: OrderStatus
    note: str = Field("", max_length=300)
    carrier: Carrier | None = Field(
        None,
        description="Shipping only: who carries the parcel (tcat 黑貓宅急便, hct 新竹物流, post 郵局, "
        "seven_eleven 7-ELEVEN 交貨便, familymart 全家店到店, hilife 萊爾富, okmart OK, other).",
        examples=["tcat"],
    )
    tracking_number: str = Field(
        "",
        max_length=40,
        description="Shipping only: the carrier's tracking number, shown to the buyer. "
        "Needs a carrier; with another status it is refused with 422.",
        examples=["901234567890"],
    )


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
        return obj.note if has_any(context["request"].auth, ORDER_READERS) else None


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

    @staticmethod
    def resolve_email(obj, context):
        auth = context["request"].auth
        if is_integrator(auth) or obj.user_id == auth.pk or has(auth, Capability.VIEW_CONTACT_DATA):
            return obj.email
        return mask_email(obj.email)


class OrderSummaryOut(Schema):
    id: int = Field(..., description="The order's id, as other operations and webhooks name it.")
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
    credit_on_shipping: Decimal = Field(
        ..., description="The part of credit_used that paid shipping; the rest paid goods."
    )
    carrier: str = Field(..., description="A carrier code once shipped, else empty.")
    carrier_label: str
    tracking_number: str
    lines: list[LineOut]
    history: list[StatusChangeOut]
    next_statuses: list[str]

    @staticmethod
    def resolve_recipient(obj):
        return obj

    @staticmethod
    def resolve_carrier_label(obj):
        return str(obj.carrier_label)

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


# -- helpers -----------------------------------------------------------------------------------


def _visible_orders(request):
    auth = request.auth
    if is_integrator(auth):
        return selectors.orders_visible_to(source=auth.name)
    if has_any(auth, ORDER_READERS):
        return selectors.orders_visible_to(everything=True)
    return selectors.orders_visible_to(user=auth)


def _detail(order_id: int) -> Order:
    return selectors.orders_with_details().get(pk=order_id)


def _resolve_items(items: list[OrderItemIn]) -> list[tuple[int | None, int]]:
    """(product id, quantity) pairs; None for a reference that names no product.

    Only the translation of slugs to ids happens here: whether a product is for sale and in
    stock is ``place_order``'s to say, item by item.
    """
    ids = {item.product for item in items if isinstance(item.product, int)}
    slugs = {item.product for item in items if isinstance(item.product, str)}
    found = Product.objects.filter(Q(pk__in=ids) | Q(slug__in=slugs)).values_list("pk", "slug")
    by_id = {pk: pk for pk, _slug in found}
    by_slug = {slug: pk for pk, slug in found}
    return [
        ((by_id if isinstance(item.product, int) else by_slug).get(item.product), item.quantity)
        for item in items
    ]


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
    **member_only(scope=Scope.ORDERS_WRITE),
)
def create_order(request, payload: OrderIn):
    """Place an order at today's prices.

    Extra fields (such as prices or totals) are refused with 422: the server prices every line.
    Errors name the field at fault, e.g. ``{"errors": {"items.0.quantity": ["Only 3 ... left."]}}``.
    """
    auth = request.auth
    integrator_only = {
        name: [_("Only integrators can send this field.")]
        for name in INTEGRATOR_FIELDS
        if getattr(payload, name) and not is_integrator(auth)
    }
    if integrator_only:
        raise ApiError(422, _("Invalid input."), integrator_only)
    shipping = ShippingMethod.objects.filter(code=payload.shipping_method, is_active=True).first()
    if shipping is None:
        raise ApiError(
            422,
            _("Invalid input."),
            {"shipping_method": [_("No shipping method has this code.")]},
        )
    recipient = Recipient(
        name=payload.recipient_name,
        phone=payload.recipient_phone,
        email=payload.email if is_integrator(auth) else payload.email.strip() or auth.email,
        county=payload.county,
        district=payload.district,
        street=payload.street,
        postal_code=payload.postal_code,
        cvs_store_name=payload.cvs_store_name,
        cvs_store_id=payload.cvs_store_id,
        note=payload.note,
    )
    items = _resolve_items(payload.items)
    if is_integrator(auth):
        order = push_order(
            source=auth.name,
            items=items,
            recipient=recipient,
            shipping_method=shipping,
            payment_method=payload.payment_method.value,
            external_ref=payload.external_ref,
            buyer_email=payload.buyer_email,
            buyer_phone=payload.buyer_phone,
            referral_code=payload.referral_code,
            paid=payload.paid,
        )
    else:
        order = place_order(
            items=items,
            recipient=recipient,
            shipping_method=shipping,
            payment_method=payload.payment_method.value,
            user=auth,
            source=MEMBER_API_SOURCE,
            context={"attribution": None},
        )
    return Status(201, _detail(order.pk))


@router.get(
    "",
    response={200: list[OrderSummaryOut], **errors(401, 403, 422)},
    summary="List orders",
    **member_only(scope=Scope.ORDERS_READ),
)
@paginate(LimitOffsetPage)
def list_orders(request, status: OrderStatus | None = None):
    """A member's own orders, an integrator's own orders, or (staff) every order; newest first."""
    orders = _visible_orders(request)
    if status is not None:
        orders = orders.filter(status=status.value)
    return orders


@router.get(
    "/{number}",
    response={200: OrderOut, **errors(401, 403, 404)},
    summary="One order",
    **member_only(scope=Scope.ORDERS_READ),
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
    summary="Change an order's status (staff, or an integrator for its own orders)",
    **staff_only(Capability.MANAGE_ORDERS, Capability.FULFIL_ORDERS, scope=Scope.ORDERS_STATUS),
)
def set_order_status(request, number: str, payload: StatusIn):
    """Move an order along its status machine; a move it does not allow answers 409.

    Staff: shipping needs FULFIL_ORDERS or MANAGE_ORDERS; every other move needs MANAGE_ORDERS.
    An integrator key with ``orders.status`` moves the orders of its own source (any other
    order is a 404), through the same machine. Shipping may give ``carrier`` and
    ``tracking_number``, which the buyer then sees.
    """
    target = payload.status.value
    auth = request.auth
    if is_integrator(auth):
        orders, actor, note = Order.objects.filter(source=auth.name), None, payload.note
        # The history row has no user for a key: say who moved it.
        note = f"{auth.name}: {note}" if note else auth.name
    else:
        needed = ORDER_READERS if target == OrderStatus.SHIPPED else (Capability.MANAGE_ORDERS,)
        if not has_any(auth, needed):
            raise PermissionDenied(_("Your role may not move an order to this status."))
        orders, actor, note = Order.objects.all(), auth, payload.note
    order = orders.filter(number=number).first()
    if order is None:
        raise ApiError(404, _("Not found."), {"number": [_("No such order.")]})
    change_status(
        order,
        target,
        actor=actor,
        note=note,
        carrier=payload.carrier.value if payload.carrier else "",
        tracking_number=payload.tracking_number,
    )
    return _detail(order.pk)
