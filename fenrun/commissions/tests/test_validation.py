"""Plan validation: engine.validate_plan alone, and the form and the API giving one verdict."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenrun.commissions import engine
from fenrun.commissions.api import PlanIn, plan_spec
from fenrun.commissions.forms import PlanForm, form_field
from fenrun.core.errors import DomainError

D = Decimal


def paths(draft: engine.PlanDraft) -> set[str]:
    return {p.path for p in engine.validate_plan(draft)}


def test_a_valid_draft_has_no_problems_and_becomes_rules():
    draft = engine.PlanDraft(mode="matrix", matrix=[[D(5)], [D(3), D(4)]], cap=D(7))
    assert engine.validate_plan(draft) == []
    rules = engine.rules_from_draft(draft)
    assert rules.levels == 2 and rules.matrix == ((D(5),), (D(3), D(4)))


@pytest.mark.parametrize(
    ("draft", "path", "code"),
    [
        (engine.PlanDraft(rates=[]), "levels", "too_few_levels"),
        (engine.PlanDraft(rates=[D(1)] * 21, legal_acknowledged=True), "levels", "too_many_levels"),
        (engine.PlanDraft(rates=[D(101)]), "rates.0", "rate_out_of_range"),
        (engine.PlanDraft(rates=[D("NaN")]), "rates.0", "rate_out_of_range"),
        (engine.PlanDraft(rates=[D(1), D("1.234")]), "rates.1", "rate_too_precise"),
        (engine.PlanDraft(rates=[D(1), None]), "rates.1", "rate_required"),
        (engine.PlanDraft(mode="matrix", matrix=[[D(5)], [D(3)]]), "matrix.1", "matrix_row_size"),
        (engine.PlanDraft(rates=[D(60), D(50)]), "rates.0", "rates_over_100"),
        (engine.PlanDraft(rates=[D(5), D(5)], cap=D(8)), "cap", "rates_over_cap"),
        (engine.PlanDraft(rates=[D(1)], cap=D("100.5")), "cap", "rate_out_of_range"),
        (
            engine.PlanDraft(rates=[D(1)], guaranteed=[(0, D(1))]),
            "guaranteed.0.tree_level",
            "tree_level_too_low",
        ),
        (
            engine.PlanDraft(rates=[D(1)], guaranteed=[(2, D(1)), (2, D(1))]),
            "guaranteed.1.tree_level",
            "tree_level_repeated",
        ),
        (
            engine.PlanDraft(rates=[D(1)], guaranteed=[(2, None)]),
            "guaranteed.0.rate",
            "guaranteed_rate_required",
        ),
        (
            engine.PlanDraft(rates=[D(1)], guaranteed=[(None, D(1))]),
            "guaranteed.0.tree_level",
            "tree_level_required",
        ),
        (
            engine.PlanDraft(rates=[D(1)], guaranteed=[(t, D(1)) for t in range(1, 12)]),
            "guaranteed",
            "too_many_guaranteed",
        ),
        (
            engine.PlanDraft(rates=[D(1)], cap=D(2), guaranteed=[(1, D(3))]),
            "cap",
            "guaranteed_over_cap",
        ),
        (
            engine.PlanDraft(rates=[D(1)] * 3),
            "legal_acknowledged",
            "legal_acknowledgement_required",
        ),
    ],
)
def test_each_rule_names_its_input(draft, path, code):
    assert (path, code) in {(p.path, p.code) for p in engine.validate_plan(draft)}


def test_the_limits_are_the_products():
    assert engine.MAX_LEVELS == 20 and engine.LEGAL_WARNING_LEVELS == 3
    assert paths(engine.PlanDraft(rates=[D(1)] * 20, legal_acknowledged=True)) == set()
    assert paths(engine.PlanDraft(rates=[D(1)] * 2)) == set()


# -- the form and the API agree ---------------------------------------------------------------

# Inputs JSON can carry: the API schema refuses holes in a list before validation, the form
# calls them missing; those are covered above.
rates = st.one_of(
    st.decimals(min_value=-5, max_value=110, places=2, allow_nan=False),
    st.sampled_from([D("0"), D("0.5"), D("1.234"), D("33.33"), D("100")]),
)


@st.composite
def plan_inputs(draw):
    mode = draw(st.sampled_from([engine.LEVELS, engine.MATRIX]))
    levels = draw(st.integers(min_value=0, max_value=engine.MAX_LEVELS))
    if mode == engine.LEVELS:
        level_rates = draw(st.lists(rates, min_size=levels, max_size=levels))
        matrix = []
    else:
        level_rates = []
        matrix = [draw(st.lists(rates, min_size=n, max_size=n)) for n in range(1, levels + 1)]
    guaranteed = draw(
        st.lists(
            st.tuples(st.integers(-1, 25), rates),
            max_size=engine.MAX_GUARANTEED,
        )
    )
    cap = draw(st.one_of(st.none(), rates))  # no cap is not a hole: JSON null
    return {
        "mode": mode,
        "rates": level_rates,
        "matrix": matrix,
        "cap": cap,
        "guaranteed": guaranteed,
        "legal_acknowledged": draw(st.booleans()),
    }


def form_verdict(plan: dict) -> set[str]:
    """What a browser posts: one field per rate, empty for a missing value."""
    data = {
        "name": "方案",
        "mode": plan["mode"],
        "levels": str(len(plan["rates"] or plan["matrix"])),
        "inactive_rule": "pass_up",
        "rounding_mode": "half_up",
        "rounding_places": "0",
    }

    def put(name, value):
        data[name] = "" if value is None else str(value)

    for k, rate in enumerate(plan["rates"], start=1):
        put(f"rate_{k}", rate)
    for n, row in enumerate(plan["matrix"], start=1):
        for k, rate in enumerate(row, start=1):
            put(f"m_{n}_{k}", rate)
    for i, (tree_level, rate) in enumerate(plan["guaranteed"], start=1):
        put(f"g_{i}_tree_level", tree_level)
        put(f"g_{i}_rate", rate)
    put("cap", plan["cap"])
    if plan["legal_acknowledged"]:
        data["legal_acknowledged"] = "on"
    form = PlanForm(data=data)
    form.is_valid()
    return set(form.errors)


def api_verdict(plan: dict) -> set[str]:
    """The API's answer, as form field names."""
    guaranteed = [{"tree_level": t, "rate": r} for t, r in plan["guaranteed"]]
    payload = PlanIn(name="方案", **dict(plan, guaranteed=guaranteed))
    try:
        plan_spec(payload)
    except DomainError as exc:
        return {form_field(path) for path in exc.errors}
    return set()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan_inputs())
def test_the_form_and_the_api_give_the_same_verdict(plan):
    assert form_verdict(plan) == api_verdict(plan)
