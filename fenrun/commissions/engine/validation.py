"""Every rule a commission plan must satisfy to be saved, in one pure function.

``validate_plan`` takes a plan as typed (a ``PlanDraft``: missing values are ``None``) and
returns its problems, each with the path of the offending input in the API's terms
(``rates.2``, ``matrix.1``, ``matrix.1.0``, ``guaranteed.0.rate``, ``cap``, ``levels``,
``legal_acknowledged``), a code and the numbers a message needs. The plan form and the API both
call it and render the codes in the reader's language; nothing else checks these rules (the
database repeats the few it can as constraints).

The limits are PRODUCT.md's "Commission rules": 1 to 20 levels, rates in percent with up to
two decimals, a cap that the level rates and the guaranteed rates must each fit in, and the
legal acknowledgement from three levels on (direct selling under 多層次傳銷管理法).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .types import HUNDRED, LEVELS, MATRIX, MAX_LEVELS, PlanRules

MIN_LEVELS = 1
# Paying three or more levels is direct selling and needs the Fair Trade Commission's approval.
LEGAL_WARNING_LEVELS = 3
# Guaranteed levels protect a founding team, a handful of tree levels; ten is plenty and keeps the
# editor one screen long.
MAX_GUARANTEED = 10
MIN_TREE_LEVEL = 1  # the organisation's top
RATE_PLACES = 2
ZERO = Decimal(0)


@dataclass(frozen=True)
class PlanDraft:
    """A plan's rates as typed, before validation. ``rates`` in the per-level mode, ``matrix``
    (row n holds n rates) in the matrix mode; ``guaranteed`` holds (tree level, rate) pairs."""

    mode: str = LEVELS
    rates: Sequence[Decimal | None] = ()
    matrix: Sequence[Sequence[Decimal | None]] = ()
    cap: Decimal | None = None
    guaranteed: Sequence[tuple[int | None, Decimal | None]] = ()
    legal_acknowledged: bool = False

    @property
    def rows(self) -> Sequence:
        return self.rates if self.mode == LEVELS else self.matrix

    @property
    def levels(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a draft: where (``path``), what (``code``) and its numbers."""

    path: str
    code: str
    params: dict = field(default_factory=dict)


def _rate_problem(path: str, rate: Decimal) -> Problem | None:
    if not rate.is_finite() or not ZERO <= rate <= HUNDRED:
        return Problem(path, "rate_out_of_range", {"max": HUNDRED})
    if rate != rate.quantize(Decimal(1).scaleb(-RATE_PLACES)):
        return Problem(path, "rate_too_precise", {"places": RATE_PLACES})
    return None


def validate_plan(draft: PlanDraft) -> list[Problem]:
    """The problems of ``draft``; an empty list means it can be saved as it is."""
    problems: list[Problem] = []
    add = problems.append

    if draft.mode not in (LEVELS, MATRIX):
        return [Problem("mode", "unknown_mode")]
    if draft.levels < MIN_LEVELS:
        add(Problem("levels", "too_few_levels", {"min": MIN_LEVELS}))
    elif draft.levels > MAX_LEVELS:
        add(Problem("levels", "too_many_levels", {"max": MAX_LEVELS}))

    cap = draft.cap
    if cap is not None and (problem := _rate_problem("cap", cap)) is not None:
        add(problem)
        cap = None  # the sums below are checked against 100% instead
    limit = HUNDRED if cap is None else cap

    # Each complete row of valid rates must fit in the cap; where it does not is reported on the
    # cap, or on the row's first rate when there is no cap to lower.
    rows: list[tuple[str, list]] = []
    if draft.mode == LEVELS:
        rows.append(("rates", list(draft.rates[:MAX_LEVELS])))
    else:
        for n, row in enumerate(draft.matrix[:MAX_LEVELS], start=1):
            if len(row) != n:
                add(Problem(f"matrix.{n - 1}", "matrix_row_size", {"row": n}))
            else:
                rows.append((f"matrix.{n - 1}", list(row)))
    for row_path, row in rows:
        complete = True
        for k, rate in enumerate(row):
            path = f"{row_path}.{k}"
            if rate is None:
                complete = False
                if draft.mode == LEVELS:
                    add(Problem(path, "rate_required", {"level": k + 1}))
                else:
                    add(Problem(path, "matrix_row_size", {"row": len(row)}))
            elif (problem := _rate_problem(path, rate)) is not None:
                complete = False
                add(problem)
        total = sum((r for r in row if r is not None), ZERO)
        if complete and total > limit:
            if cap is None:
                add(Problem(f"{row_path}.0", "rates_over_100", {"total": total}))
            else:
                add(Problem("cap", "rates_over_cap", {"total": total, "cap": cap}))

    if len(draft.guaranteed) > MAX_GUARANTEED:
        add(Problem("guaranteed", "too_many_guaranteed", {"max": MAX_GUARANTEED}))
    seen: set[int] = set()
    guaranteed_total = ZERO
    for i, (tree_level, rate) in enumerate(draft.guaranteed[:MAX_GUARANTEED]):
        level_path, rate_path = f"guaranteed.{i}.tree_level", f"guaranteed.{i}.rate"
        if tree_level is None and rate is None:
            continue
        if tree_level is None:
            add(Problem(level_path, "tree_level_required"))
        elif tree_level < MIN_TREE_LEVEL:
            add(Problem(level_path, "tree_level_too_low", {"min": MIN_TREE_LEVEL}))
        elif tree_level in seen:
            add(Problem(level_path, "tree_level_repeated", {"tree_level": tree_level}))
        if rate is None:
            if tree_level is not None:
                add(Problem(rate_path, "guaranteed_rate_required"))
            continue
        if (problem := _rate_problem(rate_path, rate)) is not None:
            add(problem)
            continue
        if tree_level is not None and tree_level >= MIN_TREE_LEVEL and tree_level not in seen:
            seen.add(tree_level)
            guaranteed_total += rate
    if guaranteed_total > limit:
        path = "guaranteed.0.rate" if cap is None else "cap"
        add(Problem(path, "guaranteed_over_cap", {"total": guaranteed_total, "cap": limit}))

    if draft.levels >= LEGAL_WARNING_LEVELS and not draft.legal_acknowledged:
        add(Problem("legal_acknowledged", "legal_acknowledgement_required"))
    return problems


def rules_from_draft(draft: PlanDraft, **options) -> PlanRules:
    """The engine's rules for a draft ``validate_plan`` found nothing wrong with.

    ``options`` are PlanRules' other fields (include_shipping, inactive_rule, rounding...).
    """
    return PlanRules(
        levels=draft.levels,
        mode=draft.mode,
        rates=tuple(draft.rates) if draft.mode == LEVELS else (),
        matrix=tuple(tuple(row) for row in draft.matrix) if draft.mode == MATRIX else (),
        cap=draft.cap,
        guaranteed=tuple(sorted((t, r) for t, r in draft.guaranteed if t is not None)),
        **options,
    )
