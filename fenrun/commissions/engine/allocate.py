"""Split order-level amounts (order discount, shipping fee, shopping credit) over order lines."""

from collections.abc import Sequence
from decimal import Decimal

from fenrun.core.money import round_money

from .types import OrderLineInput

ZERO = Decimal(0)
CENT = Decimal("0.01")


def split_proportionally(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Shares of ``amount`` in proportion to ``weights``, to the cent, adding up exactly.

    Each share is rounded down to the cent and the cents still missing go to the largest dropped
    fractions (ties: the earlier weight). Zero weights everywhere split evenly.
    """
    if not weights:
        return []
    total_weight = sum(weights, ZERO)
    if total_weight <= 0:
        weights = [Decimal(1)] * len(weights)
        total_weight = Decimal(len(weights))
    exact = [amount * w / total_weight for w in weights]
    shares = [round_money(x, places=2, mode="down") for x in exact]
    missing = int((round_money(amount, places=2) - sum(shares, ZERO)) / CENT)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: max(missing, 0)]:
        shares[i] += CENT
    return shares


def credit_on_shipping_share(credit: Decimal, goods: Decimal, shipping: Decimal) -> Decimal:
    """The part of ``credit`` that pays shipping when the wallet lets credit pay it: goods and
    shipping in proportion, to the cent (PRODUCT.md, "Commission rules")."""
    gross = goods + shipping
    if credit <= 0 or shipping <= 0 or gross <= 0:
        return ZERO
    return min(round_money(credit * shipping / gross, places=2), shipping, credit)


def order_line_inputs(
    lines: Sequence[tuple[int, Decimal, Decimal, int | None, int | None]],
    *,
    discount_total: Decimal = ZERO,
    shipping_fee: Decimal = ZERO,
    credit_used: Decimal = ZERO,
    credit_on_shipping: Decimal = ZERO,
) -> list[OrderLineInput]:
    """Engine inputs from (line id, line total, line discount, product id, category id) rows.

    Goods after discounts: the line's own discount, then any order-level discount not already on
    the lines in proportion to what is left. Shipping follows goods. ``credit_on_shipping`` is
    the part of the credit that paid shipping (the order records it: 0 when the wallet does not
    let credit pay shipping); it follows the lines' shipping, and the rest of the credit, which
    paid goods, follows their goods.
    """
    ordered = sorted(lines, key=lambda row: row[0])
    goods = [max(total - discount, ZERO) for _id, total, discount, _p, _c in ordered]
    on_lines = sum((discount for _id, _t, discount, _p, _c in ordered), ZERO)
    order_discount = min(max(discount_total - on_lines, ZERO), sum(goods, ZERO))
    if order_discount > 0:
        goods = [
            g - d for g, d in zip(goods, split_proportionally(order_discount, goods), strict=True)
        ]
    shipping = split_proportionally(shipping_fee, goods)
    credit_used = max(credit_used, ZERO)
    on_shipping = min(max(credit_on_shipping, ZERO), credit_used, max(shipping_fee, ZERO))
    goods_credit = split_proportionally(credit_used - on_shipping, goods)
    shipping_credit = split_proportionally(on_shipping, shipping)
    return [
        OrderLineInput(
            line_id=row[0],
            goods=g,
            shipping=s,
            credit=c,
            shipping_credit=sc,
            product_id=row[3],
            category_id=row[4],
        )
        for row, g, s, c, sc in zip(
            ordered, goods, shipping, goods_credit, shipping_credit, strict=True
        )
    ]
