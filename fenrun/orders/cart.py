"""Cart use cases: guests keep a cart in their session, members in the database."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fenrun.catalog.models import Product
from fenrun.core.errors import DomainError
from fenrun.orders.models import Cart, CartLine
from fenrun.orders.pricing import QuoteLine

MAX_LINE_QUANTITY = 999


class CartError(DomainError):
    """A quantity or product the cart refuses."""

    code = "cart_refused"


def parse_quantity(raw) -> int:
    try:
        quantity = int(str(raw).strip())
    except (TypeError, ValueError) as exc:
        raise CartError(_("Quantity must be a whole number.")) from exc
    if quantity < 0:
        raise CartError(_("Quantity cannot be negative."))
    if quantity > MAX_LINE_QUANTITY:
        raise CartError(_("At most %(n)s of one product per order.") % {"n": MAX_LINE_QUANTITY})
    return quantity


def get_cart(request, *, create: bool = False) -> Cart | None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if create:
            return Cart.objects.get_or_create(user=user)[0]
        return Cart.objects.filter(user=user).first()
    if not request.session.session_key:
        if not create:
            return None
        request.session.save()
    key = request.session.session_key
    if create:
        try:
            return Cart.objects.get_or_create(session_key=key)[0]
        except IntegrityError:
            return Cart.objects.get(session_key=key)
    return Cart.objects.filter(session_key=key).first()


def _check_product(product: Product, quantity: int) -> None:
    if not product.is_active:
        raise CartError(_("%(name)s is no longer for sale.") % {"name": product.name})
    if quantity > product.stock:
        if product.stock == 0:
            raise CartError(
                _("%(name)s is sold out.") % {"name": product.name}, code="out_of_stock"
            )
        raise CartError(
            _("Only %(stock)s of %(name)s left.") % {"stock": product.stock, "name": product.name},
            code="out_of_stock",
        )


def _lock(cart: Cart) -> None:
    # Checkout locks the cart row while it turns the lines into an order; a change waits for it
    # rather than slipping in between the lines read and the lines emptied.
    list(Cart.objects.select_for_update().filter(pk=cart.pk).values_list("pk", flat=True))


@transaction.atomic
def add_to_cart(cart: Cart, product: Product, quantity) -> CartLine:
    quantity = parse_quantity(quantity)
    if quantity == 0:
        raise CartError(_("Quantity must be at least 1."))
    _lock(cart)
    line = CartLine.objects.select_for_update().filter(cart=cart, product=product).first()
    total = quantity + (line.quantity if line else 0)
    _check_product(product, total)
    if line:
        line.quantity = total
        line.save(update_fields=["quantity"])
        return line
    return CartLine.objects.create(cart=cart, product=product, quantity=total)


@transaction.atomic
def set_quantity(cart: Cart, product: Product, quantity) -> CartLine | None:
    quantity = parse_quantity(quantity)
    _lock(cart)
    if quantity == 0:
        CartLine.objects.filter(cart=cart, product=product).delete()
        return None
    _check_product(product, quantity)
    line, _created = CartLine.objects.update_or_create(
        cart=cart, product=product, defaults={"quantity": quantity}
    )
    return line


@transaction.atomic
def merge_guest_cart(session_key: str | None, user) -> None:
    """At login the guest's lines join the member's cart, capped at what is in stock."""
    if not session_key:
        return
    guest = Cart.objects.filter(session_key=session_key, user__isnull=True).first()
    if guest is None:
        return
    member_cart = Cart.objects.get_or_create(user=user)[0]
    for line in guest.lines.select_related("product"):
        existing = CartLine.objects.filter(cart=member_cart, product=line.product).first()
        wanted = line.quantity + (existing.quantity if existing else 0)
        quantity = min(wanted, line.product.stock, MAX_LINE_QUANTITY)
        if quantity <= 0 or not line.product.is_active:
            continue
        CartLine.objects.update_or_create(
            cart=member_cart, product=line.product, defaults={"quantity": quantity}
        )
    guest.delete()


def cart_lines(cart: Cart | None) -> list[CartLine]:
    if cart is None:
        return []
    return list(cart.lines.select_related("product").prefetch_related("product__images"))


def quote_lines(lines: list[CartLine]) -> list[QuoteLine]:
    return [
        QuoteLine(
            product_id=line.product_id,
            name=line.product.name,
            unit_price=line.product.price,
            quantity=line.quantity,
        )
        for line in lines
    ]


def cart_count(cart: Cart | None) -> int:
    if cart is None:
        return 0
    return sum(cart.lines.values_list("quantity", flat=True))
