"""Turning engine results and filters into what pages and the API show."""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fenrun.commissions import engine
from fenrun.commissions.models import Commission
from fenrun.commissions.rules import describe, describe_skip
from fenrun.core.forms import DateRangeForm


def member_label(tree_level: int, buyer_tree_level: int) -> str:
    """The seed's names: the source (源頭, tree level 1) on top, then 層1, 層2 … below it: a
    level-n member is n levels below the source."""
    if tree_level == buyer_tree_level:
        return _("The buyer")
    if tree_level == 1:
        return _("Source (tree level 1)")
    return _("Level-%(n)s member (tree level %(t)s)") % {"n": tree_level - 1, "t": tree_level}


@dataclass(frozen=True)
class PreviewRow:
    who: str
    level: int
    tree_level: int
    base: Decimal | None
    rate: Decimal | None
    exact: Decimal | None
    amount: Decimal
    why: str
    paid: bool


@dataclass(frozen=True)
class Preview:
    rows: list[PreviewRow]
    base: Decimal
    total: Decimal
    cap: Decimal
    buyer_label: str


def preview_rows(
    result: engine.OrderResult, *, buyer_level: int, rules: engine.PlanRules
) -> Preview:
    buyer_tree_level = buyer_level + 1
    rows: list[PreviewRow] = []
    for rounded in result.payouts:
        p = rounded.payout
        rows.append(
            PreviewRow(
                who=member_label(p.tree_level, buyer_tree_level),
                level=p.level,
                tree_level=p.tree_level,
                base=p.base,
                rate=p.rate,
                exact=p.amount,
                amount=rounded.amount,
                why=describe(p.rule, p.detail, rate=p.rate, level=p.level),
                paid=True,
            )
        )
    line = result.lines[0] if result.lines else None
    for skipped in line.skipped if line else ():
        rows.append(
            PreviewRow(
                who=member_label(skipped.tree_level, buyer_tree_level),
                level=skipped.level,
                tree_level=skipped.tree_level,
                base=None,
                rate=None,
                exact=None,
                amount=Decimal(0),
                why=describe_skip(skipped.reason),
                paid=False,
            )
        )
    rows.sort(key=lambda r: (r.level, not r.paid))
    if buyer_level == 0:
        buyer_label = _("The source buys: there are no uplines to pay.")
    else:
        buyer_label = _("A level-%(n)s member (tree level %(t)s) buys.") % {
            "n": buyer_level,
            "t": buyer_tree_level,
        }
    return Preview(
        rows=rows,
        base=line.base if line else Decimal(0),
        total=result.total,
        cap=rules.effective_cap,
        buyer_label=buyer_label,
    )


class MemberFilterForm(DateRangeForm):
    field_order = ["status", "date_from", "date_to"]

    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All"))] + list(Commission.Status.choices),
    )
