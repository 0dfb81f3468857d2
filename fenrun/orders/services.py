"""Order use cases: placing an order and moving it through its status machine."""

import secrets
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fenrun.catalog.models import Product
from fenrun.core import events
from fenrun.core.money import ZERO
from fenrun.orders import notifications
from fenrun.orders.addresses import clean_home_address
from fenrun.orders.events import OrderPlaced, OrderStatusChanged
from fenrun.orders.models import (
    Order,
    OrderLine,
    OrderStatusChange,
    PaymentMethod,
    ShippingMethod,
)
from fenrun.orders.pricing import QuoteLine, build_quote
from fenrun.orders.status import RESTOCKING, OrderStatus, TransitionError, check_transition

NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class CheckoutError(ValueError):
    """A checkout that cannot go through; ``field`` names the input at fault, if any.

    ``errors`` (field → messages) is set when several inputs are at fault at once, so that an
    API client can fix them in one go; ``field`` and the message are then the first of them.
    """

    def __init__(self, message: str, field: str = "__all__", errors=None):
        super().__init__(message)
        self.field = field
        self.errors: dict[str, list[str]] = errors or {field: [str(message)]}


@dataclass
class Recipient:
    name: str
    phone: str
    email: str
    county: str = ""
    district: str = ""
    street: str = ""
    postal_code: str = ""
    cvs_store_name: str = ""
    cvs_store_id: str = ""
    note: str = ""


def new_order_number() -> str:
    """FR + yymmdd + 5 characters without look-alikes: readable over the phone, hard to guess."""
    today = timezone.localdate().strftime("%y%m%d")
    return "FR" + today + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(5))


def new_atm_reference() -> str:
    """A 14-digit reference the buyer writes in the transfer note and the shop matches."""
    return "".join(secrets.choice("0123456789") for _ in range(14))


def _validate_recipient(recipient: Recipient, method: ShippingMethod) -> Recipient:
    """The recipient as it will be stored (address spelled as in the postal data), or raise."""
    from django.core.exceptions import ValidationError

    from fenrun.core.validators import validate_tw_mobile

    if not recipient.name.strip():
        raise CheckoutError(_("Enter the recipient's name."), "recipient_name")
    if not recipient.phone:
        raise CheckoutError(_("Enter the recipient's mobile number."), "recipient_phone")
    try:
        validate_tw_mobile(recipient.phone)
    except ValidationError as exc:
        raise CheckoutError(exc.messages[0], "recipient_phone") from exc
    if method.kind == ShippingMethod.Kind.CVS:
        if not recipient.cvs_store_name.strip():
            raise CheckoutError(_("Enter the pickup store's name."), "cvs_store_name")
        if not recipient.cvs_store_id.strip().isalnum():
            raise CheckoutError(_("Enter the pickup store's id."), "cvs_store_id")
        return recipient
    for field_name, message in (
        ("county", _("Choose a county or city.")),
        ("district", _("Choose a district.")),
        ("street", _("Enter the street address.")),
    ):
        if not getattr(recipient, field_name).strip():
            raise CheckoutError(message, field_name)
    try:
        county, district, postal_code = clean_home_address(
            recipient.county, recipient.district, recipient.postal_code
        )
    except ValidationError as exc:
        errors = exc.message_dict
        field_name = next(iter(errors))
        raise CheckoutError(errors[field_name][0], field_name, errors) from exc
    return replace(recipient, county=county, district=district, postal_code=postal_code)


def place_order(
    *,
    items: list[tuple[int, int]],
    recipient: Recipient,
    shipping_method: ShippingMethod,
    payment_method: str,
    user=None,
    source: str = "web",
    external_ref: str = "",
    context: dict | None = None,
    cart=None,
    credit_to_use: Decimal = ZERO,
) -> Order:
    """Create an order from (product id, quantity) pairs at today's prices, taking stock.

    Either everything is written (order, lines, stock, history, cleared cart) or nothing is.
    Stock is taken with a conditional UPDATE, so two buyers of the last item cannot both win.
    ``credit_to_use`` is shopping credit the buyer chose to spend; the wallet's OrderPlaced
    subscriber debits it in this transaction and refuses (raising CheckoutError) what is not
    allowed, which rolls the whole order back.
    """
    if payment_method not in PaymentMethod.values:
        raise CheckoutError(_("Choose a payment method."), "payment_method")
    if not shipping_method.is_active:
        raise CheckoutError(_("This shipping method is not available."), "shipping_method")
    if not items:
        raise CheckoutError(_("The cart is empty."))
    quantities: dict[int, int] = {}
    for product_id, quantity in items:
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise CheckoutError(_("Quantities must be whole numbers above zero."), "quantity")
        quantities[product_id] = quantities.get(product_id, 0) + quantity
    recipient = _validate_recipient(recipient, shipping_method)

    with transaction.atomic():
        # Lock in id order so that concurrent checkouts of overlapping carts cannot deadlock.
        products = {
            p.pk: p
            for p in Product.objects.select_for_update().filter(pk__in=quantities).order_by("pk")
        }
        lines: list[QuoteLine] = []
        for product_id, quantity in quantities.items():
            product = products.get(product_id)
            if product is None or not product.is_active:
                raise CheckoutError(_("A product in the cart is no longer for sale."), "items")
            taken = Product.objects.filter(pk=product_id, stock__gte=quantity).update(
                stock=F("stock") - quantity
            )
            if not taken:
                raise CheckoutError(
                    _("Only %(stock)s of %(name)s left.")
                    % {"stock": product.stock, "name": product.name},
                    "items",
                )
            lines.append(
                QuoteLine(
                    product_id=product.pk,
                    name=product.name,
                    unit_price=product.price,
                    quantity=quantity,
                )
            )
        quote = build_quote(lines, shipping_method)
        if credit_to_use:
            if credit_to_use < 0 or user is None:
                raise CheckoutError(_("Shopping credit cannot be used here."), "credit")
            credit = min(Decimal(credit_to_use), quote.grand_total)
            quote = replace(quote, credit_used=credit)
        order = _create_order_row(
            quote=quote,
            user=user,
            recipient=recipient,
            shipping_method=shipping_method,
            payment_method=payment_method,
            source=source,
            external_ref=external_ref,
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                product_id=line.product_id,
                product_name=line.name,
                product_slug=products[line.product_id].slug,
                category_id_snapshot=products[line.product_id].category_id,
                unit_price=line.unit_price,
                quantity=line.quantity,
                line_total=line.line_total,
            )
            for line in quote.lines
        )
        OrderStatusChange.objects.create(
            order=order, from_status="", to_status=OrderStatus.PENDING, actor=user, note=source
        )
        if cart is not None:
            cart.lines.filter(product_id__in=quantities).delete()
        events.publish(OrderPlaced(order_id=order.pk, context=dict(context or {})))
        notifications.order_placed(order.pk)
    return order


def _create_order_row(
    *, quote, user, recipient, shipping_method, payment_method, source, external_ref
):
    is_cvs = shipping_method.kind == ShippingMethod.Kind.CVS
    fields = dict(
        user=user,
        email=recipient.email,
        source=source,
        external_ref=external_ref,
        recipient_name=recipient.name.strip(),
        recipient_phone=recipient.phone,
        county="" if is_cvs else recipient.county.strip(),
        district="" if is_cvs else recipient.district.strip(),
        street="" if is_cvs else recipient.street.strip(),
        postal_code="" if is_cvs else recipient.postal_code.strip(),
        cvs_store_name=recipient.cvs_store_name.strip() if is_cvs else "",
        cvs_store_id=recipient.cvs_store_id.strip() if is_cvs else "",
        shipping_method=shipping_method,
        payment_method=payment_method,
        payment_reference=new_atm_reference() if payment_method == PaymentMethod.ATM else "",
        note=recipient.note.strip()[:300],
        goods_total=quote.goods_total,
        discount_total=quote.discount_total,
        shipping_fee=quote.shipping_fee,
        credit_used=quote.credit_used,
        grand_total=quote.grand_total,
    )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Order.objects.create(number=new_order_number(), **fields)
        except IntegrityError:
            if (
                external_ref
                and Order.objects.filter(source=source, external_ref=external_ref).exists()
            ):
                raise CheckoutError(
                    _("This external reference was already imported."), "external_ref"
                ) from None
    raise CheckoutError(_("Could not allocate an order number; please try again."))


def change_status(order: Order, target: str, *, actor=None, note: str = "") -> Order:
    """Move an order to ``target`` if the status machine allows it, and tell subscribers.

    The order row is locked first: two staff (or a staff and a gateway callback) acting at once
    are serialised, and the second sees the first's result.
    """
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        current = locked.status
        check_transition(current, target, payment_method=locked.payment_method)
        now = timezone.now()
        locked.status = target
        update = ["status", "updated_at"]
        if target == OrderStatus.PAID or (
            target == OrderStatus.COMPLETED and locked.paid_at is None
        ):
            locked.paid_at = now
            update.append("paid_at")
        if target == OrderStatus.COMPLETED:
            locked.completed_at = now
            update.append("completed_at")
        locked.save(update_fields=update)
        if (current, target) in RESTOCKING:
            for product_id, quantity in locked.lines.filter(product__isnull=False).values_list(
                "product_id", "quantity"
            ):
                Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity)
        OrderStatusChange.objects.create(
            order=locked, from_status=current, to_status=target, actor=actor, note=note[:300]
        )
        events.publish(
            OrderStatusChanged(
                order_id=locked.pk,
                from_status=current,
                to_status=target,
                actor_id=getattr(actor, "pk", None),
            )
        )
        notifications.status_changed(locked.pk, target)
    order.refresh_from_db()
    return order


__all__ = [
    "CheckoutError",
    "Recipient",
    "TransitionError",
    "change_status",
    "place_order",
]
