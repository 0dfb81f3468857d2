"""Totals of a prospective order, computed on the server from current prices only."""

from dataclasses import dataclass, field, replace
from decimal import Decimal

from fenrun.core.money import ZERO, round_money


@dataclass(frozen=True)
class QuoteLine:
    product_id: int
    name: str
    unit_price: Decimal
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Quote:
    lines: list[QuoteLine]
    shipping_fee: Decimal = ZERO
    discount_total: Decimal = ZERO
    credit_used: Decimal = ZERO
    free_shipping_gap: Decimal | None = field(default=None)

    @property
    def goods_total(self) -> Decimal:
        return sum((line.line_total for line in self.lines), ZERO)

    @property
    def total_before_credit(self) -> Decimal:
        return self.goods_total - self.discount_total + self.shipping_fee

    @property
    def grand_total(self) -> Decimal:
        return self.total_before_credit - self.credit_used


def shipping_fee_for(goods_total: Decimal, method) -> tuple[Decimal, Decimal | None]:
    """The fee, and how much more to buy for free shipping (None when not applicable)."""
    if method is None:
        return ZERO, None
    threshold = method.free_threshold
    if threshold is not None and goods_total >= threshold:
        return ZERO, None
    gap = (threshold - goods_total) if threshold is not None else None
    return method.fee, gap


def build_quote(lines: list[QuoteLine], shipping_method=None) -> Quote:
    goods = sum((line.line_total for line in lines), ZERO)
    fee, gap = shipping_fee_for(goods, shipping_method)
    return Quote(lines=lines, shipping_fee=fee, free_shipping_gap=gap)


def apply_credit(quote: Quote, credit: Decimal) -> Quote:
    """The quote paid partly with ``credit``; never more credit than there is to pay."""
    return replace(quote, credit_used=min(max(Decimal(credit), ZERO), quote.total_before_credit))


def credit_on_shipping(
    credit: Decimal, goods_after_discounts: Decimal, shipping_fee: Decimal, *, covers_shipping: bool
) -> Decimal:
    """The part of ``credit`` that paid shipping; the rest paid goods.

    Credit pays goods only unless the wallet lets it cover shipping; then it is spread over goods
    and shipping in proportion, as the commission base takes it (PRODUCT.md, "Commission rules").
    """
    credit, goods, fee = Decimal(credit), Decimal(goods_after_discounts), Decimal(shipping_fee)
    if not covers_shipping or credit <= 0 or fee <= 0:
        return ZERO
    share = round_money(credit * fee / (max(goods, ZERO) + fee), places=2)
    return min(share, fee, credit)
