"""Plain data the calculation core works on: no Django, no database."""

from dataclasses import dataclass, field
from decimal import Decimal

LEVELS = "levels"
MATRIX = "matrix"
PASS_UP = "pass_up"
FORFEIT = "forfeit"
MAX_LEVELS = 20  # PRODUCT.md: a plan has 1 to 20 levels
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PlanRules:
    """One plan version, as the core sees it. Rates are percentages (Decimal("4.5") = 4.5%).

    ``rates[k-1]`` is the rate of window slot k in the per-level mode. In the matrix mode
    ``matrix[n-1]`` holds the rates by slot (slot 1 = nearest upline) for a buyer who has n
    uplines inside the window: the seed's plan is ``matrix=((5,), (3, 4))``.
    ``guaranteed`` maps absolute tree levels (roots are 1) to their own rate.
    """

    levels: int
    mode: str = LEVELS
    rates: tuple[Decimal, ...] = ()
    matrix: tuple[tuple[Decimal, ...], ...] = ()
    cap: Decimal | None = None
    guaranteed: tuple[tuple[int, Decimal], ...] = ()
    include_shipping: bool = False
    include_credit: bool = False
    inactive_rule: str = PASS_UP
    self_pay: bool = False
    rounding_mode: str = "half_up"
    rounding_places: int = 0
    version_id: int | None = None

    # The settings beside the rates, as the forms, the API and the database name them.
    OPTIONS = (
        "include_shipping",
        "include_credit",
        "inactive_rule",
        "self_pay",
        "rounding_mode",
        "rounding_places",
    )

    def options(self) -> dict:
        return {name: getattr(self, name) for name in self.OPTIONS}

    def __post_init__(self):
        # The plan forms validate with field errors; this only guards the core's own assumptions.
        if not 1 <= self.levels <= MAX_LEVELS:
            raise ValueError(f"levels must be 1..{MAX_LEVELS}")
        if self.mode == LEVELS and len(self.rates) != self.levels:
            raise ValueError("one rate per level")
        if self.mode == MATRIX and (
            len(self.matrix) != self.levels
            or any(len(row) != n for n, row in enumerate(self.matrix, start=1))
        ):
            raise ValueError("matrix row n must have n rates")
        if self.mode not in (LEVELS, MATRIX) or self.inactive_rule not in (PASS_UP, FORFEIT):
            raise ValueError("unknown mode or inactive rule")

    @property
    def effective_cap(self) -> Decimal:
        return HUNDRED if self.cap is None else min(self.cap, HUNDRED)

    def slot_rates(self, filled: int) -> tuple[Decimal, ...]:
        """Rates by window slot for a buyer with ``filled`` uplines inside the window."""
        if self.mode == LEVELS:
            return self.rates
        return self.matrix[filled - 1] if filled else ()

    @property
    def max_rate_total(self) -> Decimal:
        """The most the window and guaranteed levels could ask for together, before the cap."""
        rows = [self.rates] if self.mode == LEVELS else list(self.matrix)
        window = max((sum(row, Decimal(0)) for row in rows), default=Decimal(0))
        return window + sum((rate for _level, rate in self.guaranteed), Decimal(0))


@dataclass(frozen=True)
class ChainMember:
    """A member of the buyer's upline chain. ``level`` 1 is the order's referrer (the buyer's
    sponsor, or the link owner of a guest order); 0 is the buyer when the plan pays self-purchases.
    ``tree_level`` is absolute: the roots of the organisation are 1."""

    user_id: int
    level: int
    tree_level: int
    group_id: int | None = None
    is_active: bool = True


@dataclass(frozen=True)
class OrderLineInput:
    """Amounts of one order line: goods after discounts, its share of the order's shipping fee,
    and its shares of the shopping credit: ``credit`` is the part that paid the line's goods,
    ``shipping_credit`` the part that paid its shipping (0 unless the wallet lets credit pay
    shipping)."""

    line_id: int
    goods: Decimal
    shipping: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    shipping_credit: Decimal = Decimal(0)
    product_id: int | None = None
    category_id: int | None = None


@dataclass(frozen=True)
class LinePayout:
    """What one member earns from one order line, and the rule that produced it.

    ``amount`` is exact (base × rate / 100, unrounded); ``rule`` is one of "level", "matrix",
    "guaranteed"; ``detail`` carries what a person needs to read why (slot, row, capped ...).
    """

    line_id: int
    payee_id: int
    level: int
    tree_level: int
    base: Decimal
    rate: Decimal
    amount: Decimal
    rule: str
    detail: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Skipped:
    """A chain member the rules passed over for one line, kept for the preview's "why"."""

    line_id: int
    user_id: int
    level: int
    tree_level: int
    reason: str  # "inactive", "cap_reached", "zero_rate"


@dataclass(frozen=True)
class LineResult:
    line_id: int
    base: Decimal
    payouts: tuple[LinePayout, ...]
    skipped: tuple[Skipped, ...] = ()

    @property
    def total(self) -> Decimal:
        return sum((p.amount for p in self.payouts), Decimal(0))


@dataclass(frozen=True)
class RoundedPayout:
    """A line payout after rounding per payee per order; ``amount`` is what gets stored."""

    payout: LinePayout
    amount: Decimal


@dataclass(frozen=True)
class OrderResult:
    lines: tuple[LineResult, ...]
    payouts: tuple[RoundedPayout, ...]
    payee_totals: dict = field(default_factory=dict, compare=False)  # payee_id -> rounded total

    @property
    def total(self) -> Decimal:
        return sum((p.amount for p in self.payouts), Decimal(0))
