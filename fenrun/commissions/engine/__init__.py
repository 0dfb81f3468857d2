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
from .validation import (
    LEGAL_WARNING_LEVELS,
    MAX_GUARANTEED,
    MIN_LEVELS,
    MIN_TREE_LEVEL,
    PlanDraft,
    Problem,
    rules_from_draft,
    validate_plan,
)

__all__ = [
    "FORFEIT",
    "LEGAL_WARNING_LEVELS",
    "LEVELS",
    "MATRIX",
    "MAX_GUARANTEED",
    "MAX_LEVELS",
    "MIN_LEVELS",
    "MIN_TREE_LEVEL",
    "PASS_UP",
    "ChainMember",
    "LinePayout",
    "LineResult",
    "OrderLineInput",
    "OrderResult",
    "PlanDraft",
    "PlanRules",
    "Problem",
    "RoundedPayout",
    "Skipped",
    "compute_line",
    "order_line_inputs",
    "split_proportionally",
    "line_base",
    "preview_chain",
    "rules_from_draft",
    "settle_order",
    "validate_plan",
]
