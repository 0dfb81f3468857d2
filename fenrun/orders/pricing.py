"""Totals of a prospective order, computed on the server from current prices only."""

from dataclasses import dataclass, field
from decimal import Decimal

from fenrun.core.money import ZERO


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
    def grand_total(self) -> Decimal:
        return self.goods_total - self.discount_total + self.shipping_fee - self.credit_used


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
