"""Plans: validation (form, API and database), versions, defaults, precedence."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from fenrun.accounts.models import MemberGroup
from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import CategoryFactory, ProductFactory
from fenrun.commissions import services
from fenrun.commissions.forms import PlanForm
from fenrun.commissions.models import (
    Commission,
    CommissionPlan,
    OrderLinePlan,
    PlanAssignment,
    PlanGuaranteedLevel,
    PlanRate,
    PlanVersion,
)
from fenrun.core.errors import DomainError

from .conftest import complete, make_chain, make_plan, place

pytestmark = pytest.mark.django_db
D = Decimal


def form_data(**overrides):
    data = {
        "name": "方案A",
        "mode": "levels",
        "levels": "2",
        "rate_1": "10",
        "rate_2": "5",
        "inactive_rule": "pass_up",
        "rounding_mode": "half_up",
        "rounding_places": "0",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def errors_of(**overrides):
    form = PlanForm(data=form_data(**overrides))
    assert not form.is_valid()
    return form.errors


def test_a_valid_form_saves_a_plan_with_its_first_version():
    form = PlanForm(data=form_data(cap="15.5", g_1_tree_level="1", g_1_rate="1.25"))
    assert form.is_valid(), form.errors
    plan = services.save_plan(spec=form.spec())
    version = plan.current_version
    assert version.number == 1 and version.levels == 2 and version.cap == D("15.5")
    rules = version.to_rules()
    assert rules.rates == (D(10), D(5)) and rules.guaranteed == ((1, D("1.25")),)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rate_1": "101"}, "rate_1"),
        ({"rate_1": "-1"}, "rate_1"),
        ({"rate_2": "1.234"}, "rate_2"),
        ({"rate_2": ""}, "rate_2"),
        ({"levels": "21"}, "levels"),
        ({"levels": "0"}, "levels"),
        ({"cap": "12", "rate_1": "10", "rate_2": "5"}, "cap"),
        ({"rate_1": "60", "rate_2": "50"}, "rate_1"),
        ({"g_1_tree_level": "0", "g_1_rate": "1"}, "g_1_tree_level"),
        ({"g_1_tree_level": "1.5", "g_1_rate": "1"}, "g_1_tree_level"),
        ({"g_1_tree_level": "2", "g_1_rate": ""}, "g_1_rate"),
        ({"g_1_tree_level": "", "g_1_rate": "2"}, "g_1_tree_level"),
        (
            {"g_1_tree_level": "2", "g_1_rate": "1", "g_2_tree_level": "2", "g_2_rate": "1"},
            "g_2_tree_level",
        ),
        (
            {
                "cap": "15",
                "g_1_tree_level": "1",
                "g_1_rate": "10",
                "g_2_tree_level": "2",
                "g_2_rate": "6",
            },
            "cap",
        ),
        ({"cap": "101"}, "cap"),
        ({"levels": "3", "rate_3": "1"}, "legal_acknowledged"),
        ({"name": ""}, "name"),
    ],
)
def test_each_bad_input_is_a_field_error_and_nothing_is_saved(overrides, field):
    errors = errors_of(**overrides)
    assert field in errors
    assert not CommissionPlan.objects.exists() and not PlanVersion.objects.exists()


def test_matrix_rows_must_match_their_level_count():
    data = form_data(mode="matrix", levels="2", m_1_1="5", m_2_1="3", m_2_2="")
    with translation.override("en"):
        form = PlanForm(data=data)
        assert not form.is_valid()
        assert "m_2_2" in form.errors and "Row 2" in form.errors["m_2_2"][0]
    with translation.override("zh-hant"):
        assert "第 2 列" in PlanForm(data=data).errors["m_2_2"][0]


def test_matrix_row_total_over_the_cap_is_refused():
    errors = errors_of(mode="matrix", levels="2", m_1_1="5", m_2_1="3", m_2_2="5", cap="7")
    assert "cap" in errors


def test_inputs_outside_the_chosen_levels_are_ignored():
    form = PlanForm(data=form_data(rate_3="abc", m_1_1="999"))
    assert form.is_valid(), form.errors
    assert form.rules().rates == (D(10), D(5))


def test_duplicate_name_is_refused_on_the_name_field():
    make_plan("方案A", rates=[1])
    form = PlanForm(data=form_data())
    assert form.is_valid(), form.errors
    with pytest.raises(DomainError) as refused:
        services.save_plan(spec=form.spec())
    assert refused.value.code == "plan_name_taken" and "name" in refused.value.errors
    assert CommissionPlan.objects.count() == 1


def test_three_levels_need_the_acknowledgement_which_is_recorded():
    staff = UserFactory(is_staff=True)
    form = PlanForm(data=form_data(levels="3", rate_3="1", legal_acknowledged="on"))
    assert form.is_valid(), form.errors
    plan = services.save_plan(spec=form.spec(), actor=staff)
    version = plan.current_version
    assert version.legal_acknowledged_by == staff and version.legal_acknowledged_at is not None


def test_database_checks_refuse_what_the_form_refuses():
    plan = make_plan("db", rates=[1])
    version = plan.current_version
    bad_versions = [
        dict(levels=21),
        dict(levels=0),
        dict(levels=3),  # no legal acknowledgement
        dict(levels=2, cap=D(101)),
        dict(levels=2, mode="other"),
        dict(levels=2, inactive_rule="other"),
    ]
    for number, fields in enumerate(bad_versions, start=10):
        with pytest.raises(IntegrityError), transaction.atomic():
            PlanVersion.objects.create(plan=plan, number=number, **fields)
    for fields in (
        dict(row=0, level=1, rate=D(101)),
        dict(row=0, level=1, rate=D(-1)),
        dict(row=0, level=21, rate=D(1)),
        dict(row=2, level=3, rate=D(1)),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            PlanRate.objects.create(version=version, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanGuaranteedLevel.objects.create(version=version, tree_level=0, rate=D(1))


def test_versions_are_immutable():
    version = make_plan("frozen", rates=[1]).current_version
    version.levels = 2
    with pytest.raises(ValueError):
        version.save()


def test_editing_adds_a_version_and_an_earlier_order_keeps_its_rates():
    plan = make_plan("edit", rates=[10])
    source, buyer = make_chain(2)
    early = place(buyer, price=D(1000))  # placed under v1
    form = PlanForm(
        data=form_data(name="edit", levels="1", rate_1="20", is_default="on"), plan=plan
    )
    assert form.is_valid(), form.errors
    services.save_plan(spec=form.spec(), plan=plan)
    assert plan.versions.count() == 2
    late = place(buyer, price=D(1000))  # placed under v2
    complete(early)
    complete(late)
    assert Commission.objects.get(order=early).amount == D(100)
    assert Commission.objects.get(order=late).amount == D(200)
    assert OrderLinePlan.objects.get(order_line__order=early).plan_version.number == 1


def test_saving_unchanged_rules_adds_no_version():
    plan = make_plan("same", rates=[10, 5])
    form = PlanForm(
        data=form_data(name="same", description="new words", is_default="on"), plan=plan
    )
    assert form.is_valid(), form.errors
    services.save_plan(spec=form.spec(), plan=plan)
    plan.refresh_from_db()
    assert plan.versions.count() == 1 and plan.description == "new words"


def test_one_default_plan():
    first = make_plan("first", rates=[1])
    second = make_plan("second", rates=[2])
    first.refresh_from_db()
    assert not first.is_default and second.is_default
    services.set_default_plan(first)
    assert list(CommissionPlan.objects.filter(is_default=True)) == [first]
    with pytest.raises(IntegrityError), transaction.atomic():
        CommissionPlan.objects.filter(pk=second.pk).update(is_default=True)


def test_switching_the_default_does_not_change_placed_orders():
    make_plan("old default", rates=[10])
    source, buyer = make_chain(2)
    order = place(buyer)
    make_plan("new default", rates=[30])
    complete(order)
    assert Commission.objects.get(order=order).rate == D(10)


def test_delete_only_unused_non_default_plans():
    used = make_plan("used", rates=[10], default=True)
    spare = make_plan("spare", rates=[10], default=False)
    _source, buyer = make_chain(2)
    place(buyer)
    services.delete_plan(spare)
    assert not CommissionPlan.objects.filter(pk=spare.pk).exists()
    with pytest.raises(services.CommissionError):
        services.delete_plan(used)  # the default
    other = make_plan("other", rates=[1], default=True)
    assert other.is_default
    with pytest.raises(services.CommissionError):
        services.delete_plan(used)  # used by an order


# -- precedence ----------------------------------------------------------------------------------


def test_precedence_product_category_sponsor_group_default():
    default = make_plan("default", rates=[1], default=True)
    by_group = make_plan("group", rates=[2], default=False)
    by_sponsor = make_plan("sponsor", rates=[3], default=False)
    by_category = make_plan("category", rates=[4], default=False)
    by_product = make_plan("product", rates=[5], default=False)

    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    product_assigned = ProductFactory(category=child)
    in_category = ProductFactory(category=child)
    elsewhere = ProductFactory()
    group = MemberGroup.objects.create(name="VIP", code="vip")
    sponsor, buyer = make_chain(2)
    buyer.group = group
    buyer.save()

    services.assign_plan(plan=by_product, target="product", obj=product_assigned)
    services.assign_plan(plan=by_category, target="category", obj=parent)  # found via the child
    services.assign_plan(plan=by_sponsor, target="member", obj=sponsor)
    services.assign_plan(plan=by_group, target="group", obj=group)

    order = place(buyer, products=[product_assigned, in_category, elsewhere])
    chosen = {
        lp.order_line.product_id: (lp.plan_version.plan.name, lp.source)
        for lp in OrderLinePlan.objects.filter(order_line__order=order).select_related(
            "order_line", "plan_version__plan"
        )
    }
    assert chosen == {
        product_assigned.pk: ("product", "product"),
        in_category.pk: ("category", "category"),
        elsewhere.pk: ("sponsor", "sponsor"),
    }

    PlanAssignment.objects.filter(target="member").delete()
    order = place(buyer, products=[elsewhere])
    assert OrderLinePlan.objects.get(order_line__order=order).plan_version.plan == by_group

    PlanAssignment.objects.filter(target="group").delete()
    order = place(buyer, products=[elsewhere])
    assert OrderLinePlan.objects.get(order_line__order=order).plan_version.plan == default


def test_the_sponsors_plan_applies_to_a_guest_through_their_link():
    from fenrun.referrals.services import ensure_code

    make_plan("default", rates=[1], default=True)
    kol_deal = make_plan("kol", rates=[20], default=False)
    (kol,) = make_chain(1)
    services.assign_plan(plan=kol_deal, target="member", obj=kol)
    order = place(None, context={"attribution": {"code": ensure_code(kol).code}})
    assert OrderLinePlan.objects.get(order_line__order=order).plan_version.plan == kol_deal
    complete(order)
    assert Commission.objects.get(order=order).amount == D(200)


def test_reassigning_a_target_moves_it_to_the_new_plan():
    first = make_plan("first", rates=[1], default=False)
    second = make_plan("second", rates=[2], default=False)
    product = ProductFactory()
    services.assign_plan(plan=first, target="product", obj=product)
    services.assign_plan(plan=second, target="product", obj=product)
    assert list(PlanAssignment.objects.values_list("plan_id", flat=True)) == [second.pk]


def test_no_plan_no_commissions():
    source, buyer = make_chain(2)
    order = complete(place(buyer))
    assert (
        not OrderLinePlan.objects.exists() and not Commission.objects.filter(order=order).exists()
    )
