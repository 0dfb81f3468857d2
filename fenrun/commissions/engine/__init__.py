"""The commission calculation core: pure Python, no Django (enforced by import-linter)."""

from .allocate import order_line_inputs, split_proportionally
from .calculate import compute_line, line_base, preview_chain, settle_order
from .types import (
    FORFEIT,
    LEVELS,
    MATRIX,
    MAX_LEVELS,
    PASS_UP,
    ChainMember,
    LinePayout,
    LineResult,
    OrderLineInput,
    OrderResult,
    PlanRules,
    RoundedPayout,
    Skipped,
)

__all__ = [
    "FORFEIT",
    "LEVELS",
    "MATRIX",
    "MAX_LEVELS",
    "PASS_UP",
    "ChainMember",
    "LinePayout",
    "LineResult",
    "OrderLineInput",
    "OrderResult",
    "PlanRules",
    "RoundedPayout",
    "Skipped",
    "compute_line",
    "order_line_inputs",
    "split_proportionally",
    "line_base",
    "preview_chain",
    "settle_order",
]
