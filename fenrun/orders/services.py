"""Order use cases: placing an order and moving it through its status machine."""

import secrets
from dataclasses import dataclass, replace
from decimal import Decimal
from http import HTTPStatus

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fenrun.catalog.models import Product
from fenrun.core import events
from fenrun.core.errors import DomainError
from fenrun.core.money import ZERO
from fenrun.core.validators import normalize_tw_mobile, validate_tw_mobile
from fenrun.orders import notifications
from fenrun.orders.addresses import clean_home_address
from fenrun.orders.deadlines import deadline_for
from fenrun.orders.events import OrderPlaced, OrderStatusChanged
from fenrun.orders.models import (
    Carrier,
    Cart,
    CartLine,
    Order,
    OrderLine,
    OrderStatusChange,
    PaymentMethod,
    ShippingMethod,
)
from fenrun.orders.pricing import QuoteLine, apply_credit, build_quote, credit_on_shipping
from fenrun.orders.status import RESTOCKING, OrderStatus, TransitionError, check_transition

NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class CheckoutError(DomainError):
    """A checkout that cannot go through; ``field`` names the input at fault, if any.

    ``errors`` (field → messages) holds every input at fault at once, so that an API client or
    the checkout form can fix them in one go; ``field`` and the message are the first of them.
    Item errors are named ``items.<index>.product`` / ``items.<index>.quantity`` after the
    position in the ``items`` given to :func:`place_order`.
    """

    code = "checkout_refused"

    @classmethod
    def from_errors(cls, errors: dict[str, list[str]], **kwargs) -> "CheckoutError":
        field = next(iter(errors))
        return cls(errors[field][0], field, errors, **kwargs)


class AlreadyImportedError(CheckoutError):
    """An integrator pushed an ``external_ref`` it already imported; ``errors`` names the order."""

    code = "already_imported"
    status = HTTPStatus.CONFLICT

    def __init__(self, number: str):
        message = _("This external reference was already imported as order %(number)s.") % {
            "number": number
        }
        self.order_number = number
        super().__init__(
            message, "external_ref", {"external_ref": [message], "order_number": [number]}
        )


class AlreadyPlacedError(CheckoutError):
    """The checkout form with this one-time token was already submitted and made an order."""

    code = "already_placed"
    status = HTTPStatus.CONFLICT

    def __init__(self, order: Order):
        self.order = order
        super().__init__(
            _("This order was already placed: order %(number)s.") % {"number": order.number},
            "token",
            {"token": [_("Already placed.")], "order_number": [order.number]},
        )


class ShipmentError(DomainError):
    """A carrier or tracking number that cannot go on the order; ``errors`` names the field."""

    code = "shipment_refused"


TRACKING_NUMBER_MAX = 40


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


def validate_recipient(recipient: Recipient, method: ShippingMethod) -> Recipient:
    """The recipient as it will be stored (phone and address normalised), or a CheckoutError
    naming every field at fault. The one check of a recipient: the checkout form, the API and
    ``place_order`` all come here.

    A field that cannot be judged because one it depends on is missing gets no second error,
    so a buyer reads "enter ..." before "wrong ...".
    """
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message) -> None:
        errors.setdefault(field, []).append(str(message))

    if not recipient.name.strip():
        refuse("recipient_name", _("Enter the recipient's name."))
    phone = normalize_tw_mobile(recipient.phone)
    if not phone:
        refuse("recipient_phone", _("Enter the recipient's mobile number."))
    else:
        try:
            validate_tw_mobile(phone)
        except ValidationError as exc:
            refuse("recipient_phone", exc.messages[0])
    email = recipient.email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            refuse("email", exc.messages[0])
    cleaned = replace(recipient, phone=phone, email=email)
    if method.kind == ShippingMethod.Kind.CVS:
        store_id = recipient.cvs_store_id.strip().upper()
        if not recipient.cvs_store_name.strip():
            refuse("cvs_store_name", _("Enter the pickup store's name."))
        if not store_id:
            refuse("cvs_store_id", _("Enter the pickup store's id."))
        elif not store_id.isalnum():
            refuse("cvs_store_id", _("A store id has only letters and digits."))
        cleaned = replace(cleaned, cvs_store_id=store_id)
    else:
        for field_name, message in (
            ("county", _("Choose a county or city.")),
            ("district", _("Enter the district.")),
            ("street", _("Enter the street address.")),
            ("postal_code", _("Enter the postal code.")),
        ):
            if not getattr(recipient, field_name).strip():
                refuse(field_name, message)
        try:
            county, district, postal_code = clean_home_address(
                recipient.county, recipient.district, recipient.postal_code
            )
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                if field_name not in errors:
                    errors[field_name] = list(messages)
        else:
            cleaned = replace(cleaned, county=county, district=district, postal_code=postal_code)
    if errors:
        raise CheckoutError.from_errors(errors)
    return cleaned


def _item_errors(items, products: dict[int, Product]) -> dict[str, list[str]]:
    """Per position in ``items``: a product not for sale, or more than is in stock."""
    wanted: dict[int, int] = {}
    for product_id, quantity in items:
        wanted[product_id] = wanted.get(product_id, 0) + quantity
    errors: dict[str, list[str]] = {}
    for index, (product_id, _quantity) in enumerate(items):
        product = products.get(product_id)
        if product is None:
            errors[f"items.{index}.product"] = [_("This product is not for sale.")]
        elif not product.is_active:
            errors[f"items.{index}.product"] = [
                _("%(name)s is no longer for sale.") % {"name": product.name}
            ]
        elif wanted[product_id] > product.stock:
            errors[f"items.{index}.quantity"] = [
                _("Only %(stock)s of %(name)s left.")
                % {"stock": product.stock, "name": product.name}
            ]
    return errors


def place_order(
    *,
    items: list[tuple[int, int]],
    recipient: Recipient,
    shipping_method: ShippingMethod,
    payment_method: str,
    payment_option: str = "",
    user=None,
    source: str = "web",
    external_ref: str = "",
    context: dict | None = None,
    cart=None,
    credit_to_use: Decimal = ZERO,
    checkout_token: str = "",
) -> Order:
    """Create an order from (product id, quantity) pairs at today's prices, taking stock.

    Either everything is written (order, lines, stock, history, cleared cart) or nothing is.
    Stock is taken with a conditional UPDATE, so two buyers of the last item cannot both win.
    ``credit_to_use`` is shopping credit the buyer chose to spend; the wallet's OrderPlaced
    subscriber debits it in this transaction and refuses (raising CheckoutError) what is not
    allowed, which rolls the whole order back.

    With a ``cart``, one cart makes one order however many submissions of it arrive at once:
    the cart row is locked and its lines read again under the lock, and ``items`` must still be
    exactly what it holds (else "cart_changed"); the winner empties it, so the others find it
    changed. ``checkout_token`` is the checkout form's one-time token: a second submission of
    the same form raises AlreadyPlacedError naming the first one's order (a unique key on
    Order backs this when the cart cannot, e.g. without one).
    """
    if payment_method not in PaymentMethod.values:
        raise CheckoutError(_("Choose a payment method."), "payment_method")
    if not shipping_method.is_active:
        raise CheckoutError(_("This shipping method is not available."), "shipping_method")
    if not items:
        raise CheckoutError(_("The cart is empty."), "items")
    quantities: dict[int, int] = {}
    for product_id, quantity in items:
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise CheckoutError(_("Quantities must be whole numbers above zero."), "quantity")
        quantities[product_id] = quantities.get(product_id, 0) + quantity
    recipient = validate_recipient(recipient, shipping_method)
    if external_ref:
        # The cheap check before taking stock; the unique constraint decides when pushes race.
        _refuse_if_imported(source, external_ref)
    checkout_token = (checkout_token or "")[:64]
    _refuse_if_placed(checkout_token, user)

    with transaction.atomic():
        if cart is not None:
            # Taken before the products, like every other checkout of this cart.
            _lock_cart_holding(cart, quantities, checkout_token, user)
        # Lock in id order so that concurrent checkouts of overlapping carts cannot deadlock.
        products = {
            p.pk: p
            for p in Product.objects.select_for_update()
            .filter(pk__in=[pk for pk in quantities if pk is not None])
            .order_by("pk")
        }
        errors = _item_errors(items, products)
        if errors:
            only_stock = all(key.endswith(".quantity") for key in errors)
            raise CheckoutError.from_errors(
                errors, code="out_of_stock" if only_stock else "product_unavailable"
            )
        lines: list[QuoteLine] = []
        for product_id, quantity in quantities.items():
            product = products[product_id]
            taken = Product.objects.filter(pk=product_id, stock__gte=quantity).update(
                stock=F("stock") - quantity
            )
            if not taken:
                index = next(i for i, (pk, _q) in enumerate(items) if pk == product_id)
                message = _("Only %(stock)s of %(name)s left.") % {
                    "stock": product.stock,
                    "name": product.name,
                }
                raise CheckoutError(
                    message,
                    f"items.{index}.quantity",
                    {f"items.{index}.quantity": [message]},
                    code="out_of_stock",
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
            quote = apply_credit(quote, Decimal(credit_to_use))
        order = _create_order_row(
            quote=quote,
            user=user,
            recipient=recipient,
            shipping_method=shipping_method,
            payment_method=payment_method,
            payment_option=payment_option if payment_method == PaymentMethod.GATEWAY else "",
            source=source,
            external_ref=external_ref,
            checkout_token=checkout_token,
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
            CartLine.objects.filter(cart_id=cart.pk, product_id__in=quantities).delete()
        events.publish(OrderPlaced(order_id=order.pk, context=dict(context or {})))
        notifications.order_placed(order.pk)
    if order.credit_used:
        # The wallet's subscriber recorded how the credit split between goods and shipping.
        order.refresh_from_db(fields=["credit_on_shipping"])
    return order


def record_credit_split(order_id: int, *, credit_covers_shipping: bool) -> Decimal:
    """Store the part of an order's shopping credit that paid shipping.

    Called at placement by whoever applies the credit rule (the wallet), with the rule then in
    force: whether credit may pay shipping. The split is computed here, in one place.
    """
    order = Order.objects.get(pk=order_id)
    split = credit_on_shipping(
        order.credit_used,
        order.goods_total - order.discount_total,
        order.shipping_fee,
        covers_shipping=credit_covers_shipping,
    )
    if split != order.credit_on_shipping:
        Order.objects.filter(pk=order_id).update(credit_on_shipping=split)
    return split


def order_placed_with(checkout_token: str, user) -> Order | None:
    """The order this buyer already placed with this checkout form's token, if any.

    Looked up for the same buyer only (a guest's order for a guest): a token is no key to
    somebody else's order.
    """
    if not checkout_token:
        return None
    owner = {"user": user} if user is not None else {"user__isnull": True}
    return Order.objects.filter(checkout_token=checkout_token[:64], **owner).first()


def _refuse_if_placed(checkout_token: str, user) -> None:
    earlier = order_placed_with(checkout_token, user)
    if earlier is not None:
        raise AlreadyPlacedError(earlier)


def _lock_cart_holding(cart, quantities: dict[int, int], checkout_token: str, user) -> None:
    """Lock the cart's row and check, under the lock, that it still holds exactly ``quantities``.

    Concurrent submissions of one cart wait here for each other; the first empties the cart, so
    the others find either its token already used or the cart changed.
    """
    if not list(Cart.objects.select_for_update().filter(pk=cart.pk).values_list("pk", flat=True)):
        raise _cart_changed(_("Your cart is empty."))
    _refuse_if_placed(checkout_token, user)
    held: dict[int, int] = {}
    for product_id, quantity in CartLine.objects.filter(cart_id=cart.pk).values_list(
        "product_id", "quantity"
    ):
        held[product_id] = held.get(product_id, 0) + quantity
    if not held:
        raise _cart_changed(
            _("Your cart is empty: its items may just have been ordered. See your orders.")
        )
    if held != quantities:
        raise _cart_changed(
            _("Your cart changed while you were checking out. Check the order and submit it again.")
        )


def _cart_changed(message) -> CheckoutError:
    return CheckoutError(str(message), "items", {"items": [str(message)]}, code="cart_changed")


def _create_order_row(
    *,
    quote,
    user,
    recipient,
    shipping_method,
    payment_method,
    source,
    external_ref,
    checkout_token="",
    payment_option="",
):
    is_cvs = shipping_method.kind == ShippingMethod.Kind.CVS
    fields = dict(
        user=user,
        email=recipient.email,
        source=source,
        external_ref=external_ref,
        checkout_token=checkout_token,
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
        payment_option=payment_option,
        payment_reference=new_atm_reference() if payment_method == PaymentMethod.ATM else "",
        pay_by=deadline_for(payment_method, source, timezone.now()),
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
            if external_ref:
                _refuse_if_imported(source, external_ref)
            if checkout_token and Order.objects.filter(checkout_token=checkout_token).exists():
                # The same form, submitted where no cart lock serialised the two.
                _refuse_if_placed(checkout_token, user)
                raise CheckoutError(
                    _("This form was already used. Reload the page and try again."), "token"
                ) from None
    raise CheckoutError(_("Could not allocate an order number; please try again."))


def _refuse_if_imported(source: str, external_ref: str) -> None:
    number = (
        Order.objects.filter(source=source, external_ref=external_ref)
        .values_list("number", flat=True)
        .first()
    )
    if number is not None:
        raise AlreadyImportedError(number)


def clean_shipment(target: str, carrier: str, tracking_number: str) -> tuple[str, str]:
    """The carrier and tracking number as stored, or a ShipmentError naming each field at fault.

    Both are given when shipping. A number needs its carrier, or the buyer cannot tell where to
    look it up; a carrier alone is allowed (a parcel sent without tracking).
    """
    carrier = (carrier or "").strip()
    tracking_number = " ".join((tracking_number or "").split())
    if not carrier and not tracking_number:
        return "", ""
    errors: dict[str, list[str]] = {}
    if target != OrderStatus.SHIPPED:
        message = _("A carrier and tracking number are given when shipping.")
        errors["carrier" if carrier else "tracking_number"] = [message]
    elif not carrier:
        errors["carrier"] = [_("Choose the carrier of this tracking number.")]
    elif carrier not in Carrier.values:
        errors["carrier"] = [_("Choose a carrier from the list.")]
    if len(tracking_number) > TRACKING_NUMBER_MAX:
        errors["tracking_number"] = [
            _("A tracking number has at most %(n)s characters.") % {"n": TRACKING_NUMBER_MAX}
        ]
    if errors:
        field = next(iter(errors))
        raise ShipmentError(errors[field][0], field, errors)
    return carrier, tracking_number


def change_status(
    order: Order,
    target: str,
    *,
    actor=None,
    note: str = "",
    carrier: str = "",
    tracking_number: str = "",
    only_from: str | None = None,
) -> Order:
    """Move an order to ``target`` if the status machine allows it, and tell subscribers.

    The order row is locked first: two staff (or a staff and a gateway callback) acting at once
    are serialised, and the second sees the first's result. Shipping may record the carrier and
    the tracking number, which the buyer's order page and shipped mail show. With ``only_from``
    the move happens only from that status (checked under the lock): a job that cancels unpaid
    orders must not cancel one paid a moment before.
    """
    carrier, tracking_number = clean_shipment(target, carrier, tracking_number)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        current = locked.status
        if only_from is not None and current != only_from:
            raise TransitionError(
                _("The order is no longer “%(status)s”.")
                % {"status": OrderStatus(only_from).label},
                allowed=[],
            )
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
        if carrier:
            locked.carrier, locked.tracking_number = carrier, tracking_number
            update += ["carrier", "tracking_number"]
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
    "AlreadyImportedError",
    "AlreadyPlacedError",
    "CheckoutError",
    "Recipient",
    "ShipmentError",
    "TransitionError",
    "change_status",
    "clean_shipment",
    "order_placed_with",
    "place_order",
    "record_credit_split",
    "validate_recipient",
]


PAYMENT_DEADLINE_NOTE = gettext_lazy("Not paid by the payment deadline.")


def expire_unpaid_orders(*, now=None, batch_size: int = 200) -> int:
    """Cancel pending orders whose payment deadline has passed; return how many.

    Each goes through ``change_status``: its stock and reserved credit come back and the buyer
    gets the cancellation mail, as when staff cancel. The order row is locked there, so a payment
    arriving at the same moment either wins (the order is paid, nothing is cancelled) or finds
    the order cancelled and is refunded as a duplicate. Safe to run twice or on two machines.
    """
    now = now or timezone.now()
    due = list(
        Order.objects.filter(status=OrderStatus.PENDING, pay_by__lte=now)
        .order_by("pay_by", "pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    expired = 0
    for order_id in due:
        order = Order.objects.get(pk=order_id)
        try:
            change_status(
                order,
                OrderStatus.CANCELLED,
                note=str(PAYMENT_DEADLINE_NOTE),
                only_from=OrderStatus.PENDING,
            )
        except TransitionError:
            continue  # paid or cancelled meanwhile
        expired += 1
    return expired
