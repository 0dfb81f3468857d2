"""The plan editor's form: the one place where plan input is validated (the API uses it too)."""

from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fenrun.accounts.models import MemberGroup
from fenrun.catalog.models import Category, Product
from fenrun.commissions import engine
from fenrun.commissions.models import (
    CommissionPlan,
    CommissionSettings,
    PlanAssignment,
    PlanVersion,
)

MAX_GUARANTEED = engine.MAX_GUARANTEED


def _number_input(**attrs) -> forms.NumberInput:
    return forms.NumberInput(attrs={k: str(v) for k, v in attrs.items()})


def rate_field(label: str) -> forms.DecimalField:
    # Only parsing here: the range and the two decimals are engine.validate_plan's rules.
    return forms.DecimalField(
        label=label,
        required=False,
        widget=_number_input(step="0.01", min=0, max=100, inputmode="decimal"),
    )


def money_field(label, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, min_value=0, max_digits=12, decimal_places=2, **{"required": False, **kwargs}
    )


# What each engine.validate_plan problem code says to a person.
PROBLEM_MESSAGES = {
    "unknown_mode": gettext_lazy("Choose per-level rates or a rate matrix."),
    "too_few_levels": gettext_lazy("A plan has at least one level."),
    "too_many_levels": gettext_lazy("A plan has at most %(max)s levels."),
    "rate_required": gettext_lazy("Enter the rate of level %(level)s."),
    "matrix_row_size": gettext_lazy(
        "Row %(row)s needs %(row)s rates, one per upline inside the window."
    ),
    "rate_out_of_range": gettext_lazy("Enter a percentage from 0 to %(max)s."),
    "rate_too_precise": gettext_lazy("Use at most %(places)s decimals."),
    "rates_over_100": gettext_lazy("The rates add up to %(total)s%%, more than 100%%."),
    "rates_over_cap": gettext_lazy("The rates add up to %(total)s%%, more than the %(cap)s%% cap."),
    "too_many_guaranteed": gettext_lazy("At most %(max)s guaranteed levels."),
    "tree_level_required": gettext_lazy("Enter the tree level this rate guarantees."),
    "tree_level_too_low": gettext_lazy("A guaranteed level is a tree level of %(min)s or more."),
    "tree_level_repeated": gettext_lazy("This tree level is already guaranteed above."),
    "guaranteed_rate_required": gettext_lazy("Enter the rate of this guaranteed level."),
    "guaranteed_over_cap": gettext_lazy(
        "The guaranteed levels alone pay %(total)s%%, more than the %(cap)s%% cap."
    ),
    "legal_acknowledgement_required": gettext_lazy(
        "A plan of three or more levels is direct selling under Taiwan's Multi-Level "
        "Marketing Supervision Act (多層次傳銷管理法) and needs approval: confirm it "
        "to save."
    ),
}


def problem_message(problem: engine.Problem) -> str:
    params = {k: _fmt(v) if isinstance(v, Decimal) else v for k, v in problem.params.items()}
    return str(PROBLEM_MESSAGES[problem.code]) % params


def form_field(path: str) -> str:
    """An input path of validate_plan or the API → the form's field name
    (rates.2 → rate_3, matrix.1.0 → m_2_1, guaranteed.0.rate → g_1_rate, rates → levels)."""
    parts = path.split(".")
    if parts[0] in ("rates", "matrix") and len(parts) == 1:
        return "levels"
    if parts[0] == "rates":
        return f"rate_{int(parts[1]) + 1}"
    if parts[0] == "matrix":
        k = int(parts[2]) + 1 if len(parts) > 2 else 1
        return f"m_{int(parts[1]) + 1}_{k}"
    if parts[0] == "guaranteed" and len(parts) == 3:
        return f"g_{int(parts[1]) + 1}_{parts[2]}"
    return path


def problems_by_path(problems, key=lambda path: path) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(key(problem.path), []).append(problem_message(problem))
    return errors


@dataclass(frozen=True)
class PlanSpec:
    """A validated plan as the services write it."""

    name: str
    description: str
    is_default: bool
    rules: engine.PlanRules
    legal_acknowledged: bool = False
    note: str = ""
    extra: dict = field(default_factory=dict)


class PlanForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Plan name"), max_length=80)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("To tell plans apart: who it is for, and why."),
    )
    is_default = forms.BooleanField(label=gettext_lazy("Default plan"), required=False)
    mode = forms.ChoiceField(
        label=gettext_lazy("Rates"),
        choices=PlanVersion.Mode.choices,
        initial=engine.LEVELS,
        widget=forms.RadioSelect,
    )
    levels = forms.IntegerField(
        label=gettext_lazy("Levels"),
        initial=2,
        widget=_number_input(min=engine.MIN_LEVELS, max=engine.MAX_LEVELS),
    )
    cap = forms.DecimalField(
        label=gettext_lazy("Cap (percent of the base)"),
        required=False,
        widget=_number_input(step="0.01", min=0, max=100, inputmode="decimal"),
        help_text=gettext_lazy("The most one order line pays out in total; empty for no cap."),
    )
    include_shipping = forms.BooleanField(
        label=gettext_lazy("Shipping is in the base"),
        required=False,
        help_text=gettext_lazy("Recommended: no, so that shipping fees do not pay commissions."),
    )
    include_credit = forms.BooleanField(
        label=gettext_lazy("The part paid with shopping credit is in the base"), required=False
    )
    inactive_rule = forms.ChoiceField(
        label=gettext_lazy("Inactive or banned uplines"),
        choices=PlanVersion.InactiveRule.choices,
        initial=engine.PASS_UP,
    )
    self_pay = forms.BooleanField(
        label=gettext_lazy("Pay the buyer for their own order"),
        required=False,
        help_text=gettext_lazy(
            "The buyer then takes the first level and their uplines move up one."
        ),
    )
    rounding_mode = forms.ChoiceField(
        label=gettext_lazy("Rounding"), choices=PlanVersion.RoundingMode.choices, initial="half_up"
    )
    rounding_places = forms.TypedChoiceField(
        label=gettext_lazy("Round to"),
        choices=PlanVersion.RoundingPlaces.choices,
        coerce=int,
        initial=0,
    )
    legal_acknowledged = forms.BooleanField(
        label=gettext_lazy(
            "I understand that three or more levels is direct selling and the shop has the "
            "approval it needs."
        ),
        required=False,
        # The label is a whole sentence: Django's "：" after its full stop read 「核可。：」.
        label_suffix="",
    )
    note = forms.CharField(label=gettext_lazy("Change note"), required=False, max_length=200)

    def __init__(self, *args, plan: CommissionPlan | None = None, **kwargs):
        self.plan = plan
        super().__init__(*args, **kwargs)
        for k in range(1, engine.MAX_LEVELS + 1):
            self.fields[f"rate_{k}"] = rate_field(_("Level %(k)s") % {"k": k})
        for n in range(1, engine.MAX_LEVELS + 1):
            for k in range(1, n + 1):
                self.fields[f"m_{n}_{k}"] = rate_field(
                    _("%(n)s uplines, level %(k)s") % {"n": n, "k": k}
                )
        for i in range(1, MAX_GUARANTEED + 1):
            self.fields[f"g_{i}_tree_level"] = forms.IntegerField(
                label=_("Tree level"),
                required=False,
                error_messages={
                    "invalid": _("A guaranteed level is a whole number of 1 or more."),
                },
                widget=_number_input(min=engine.MIN_TREE_LEVEL, step=1),
            )
            self.fields[f"g_{i}_rate"] = rate_field(_("Rate (%)"))

    # -- grouping for the template ---------------------------------------------------------
    def level_fields(self):
        return [(k, self[f"rate_{k}"]) for k in range(1, engine.MAX_LEVELS + 1)]

    def matrix_rows(self):
        return [
            (n, [self[f"m_{n}_{k}"] for k in range(1, n + 1)])
            for n in range(1, engine.MAX_LEVELS + 1)
        ]

    def guaranteed_rows(self):
        return [
            (i, self[f"g_{i}_tree_level"], self[f"g_{i}_rate"])
            for i in range(1, MAX_GUARANTEED + 1)
        ]

    def levels_value(self) -> int:
        raw = self["levels"].value()
        try:
            return max(1, min(int(raw), engine.MAX_LEVELS))
        except (TypeError, ValueError):
            return 2

    # -- validation --------------------------------------------------------------------------
    def _drop(self, name: str) -> None:
        """Inputs outside the chosen mode and level count are ignored, errors included."""
        self._errors.pop(name, None)
        self.cleaned_data.pop(name, None)

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        levels = data.get("levels")
        self.draft = None
        if mode is None or levels is None:
            return data
        for k in range(1, engine.MAX_LEVELS + 1):
            if mode != engine.LEVELS or k > levels:
                self._drop(f"rate_{k}")
        for n in range(1, engine.MAX_LEVELS + 1):
            for k in range(1, n + 1):
                if mode != engine.MATRIX or n > levels:
                    self._drop(f"m_{n}_{k}")
        # One level past the maximum is enough for validate_plan to say there are too many.
        count = max(0, min(levels, engine.MAX_LEVELS + 1))
        rows = [[data.get(f"m_{n}_{k}") for k in range(1, n + 1)] for n in range(1, count + 1)]
        self.draft = engine.PlanDraft(
            mode=mode,
            rates=[data.get(f"rate_{k}") for k in range(1, count + 1)]
            if mode == engine.LEVELS
            else [],
            matrix=rows if mode == engine.MATRIX else [],
            cap=data.get("cap"),
            guaranteed=[
                (data.get(f"g_{i}_tree_level"), data.get(f"g_{i}_rate"))
                for i in range(1, MAX_GUARANTEED + 1)
            ],
            legal_acknowledged=bool(data.get("legal_acknowledged")),
        )
        for problem in engine.validate_plan(self.draft):
            name = form_field(problem.path)
            if name in self._errors:
                continue  # a value that did not even parse already says so
            self.add_error(name if name in self.fields else None, problem_message(problem))
        return data

    def rules(self) -> engine.PlanRules:
        """The engine's view of the valid form (for the preview and for saving)."""
        data = self.cleaned_data
        options = {name: data.get(name) for name in engine.PlanRules.OPTIONS}
        return engine.rules_from_draft(self.draft, **options)

    def spec(self) -> PlanSpec:
        data = self.cleaned_data
        return PlanSpec(
            name=data["name"],
            description=data.get("description", ""),
            is_default=data.get("is_default", False),
            rules=self.rules(),
            legal_acknowledged=data.get("legal_acknowledged", False),
            note=data.get("note", ""),
        )


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def initial_from_version(plan: CommissionPlan, version: PlanVersion | None) -> dict:
    """Form values that reproduce a plan's current version (for the edit page)."""
    initial = {"name": plan.name, "description": plan.description, "is_default": plan.is_default}
    if version is None:
        return initial
    rules = version.to_rules()
    initial.update(mode=rules.mode, levels=rules.levels, cap=rules.cap, **rules.options())
    for k, rate in enumerate(rules.rates, start=1):
        initial[f"rate_{k}"] = rate
    for n, row in enumerate(rules.matrix, start=1):
        for k, rate in enumerate(row, start=1):
            initial[f"m_{n}_{k}"] = rate
    for i, (tree_level, rate) in enumerate(rules.guaranteed, start=1):
        initial[f"g_{i}_tree_level"] = tree_level
        initial[f"g_{i}_rate"] = rate
    return initial


class PreviewForm(forms.Form):
    """ "An order of NT$X by a member at level n": who gets what, before saving."""

    amount = money_field(
        gettext_lazy("Order goods (NT$)"), required=True, max_value=10_000_000, initial=1000
    )
    buyer_level = forms.IntegerField(
        label=gettext_lazy("Buyer: levels below the source"),
        min_value=0,
        max_value=60,
        initial=2,
        help_text=gettext_lazy("n: a level-n member (n uplines) buys; 0: the source buys."),
    )
    shipping = money_field(gettext_lazy("Shipping fee (NT$)"))
    credit = money_field(gettext_lazy("Paid with shopping credit (NT$)"))
    credit_covers_shipping = forms.BooleanField(
        label=gettext_lazy("Shopping credit may pay shipping"),
        required=False,
        help_text=gettext_lazy(
            "As the wallet's setting: off, the credit paid goods only; on, goods and shipping "
            "in proportion."
        ),
    )
    inactive_levels = forms.CharField(
        label=gettext_lazy("Inactive members at tree levels"),
        required=False,
        help_text=gettext_lazy("Comma-separated tree levels, e.g. 2,3 (the source is 1)."),
    )

    def clean_inactive_levels(self):
        raw = self.cleaned_data.get("inactive_levels", "")
        levels = set()
        for part in raw.replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or int(part) < 1:
                raise forms.ValidationError(_("Enter tree levels as whole numbers of 1 or more."))
            levels.add(int(part))
        return levels


class AssignmentForm(forms.Form):
    target = forms.ChoiceField(
        label=gettext_lazy("Applies to"), choices=PlanAssignment.Target.choices
    )
    product = forms.ModelChoiceField(
        label=gettext_lazy("Product"), queryset=Product.objects.order_by("name"), required=False
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=Category.objects.all(), required=False
    )
    member_email = forms.EmailField(label=gettext_lazy("Member's e-mail"), required=False)
    group = forms.ModelChoiceField(
        label=gettext_lazy("Member group"), queryset=MemberGroup.objects.all(), required=False
    )

    def clean(self):
        data = super().clean()
        target = data.get("target")
        if target == PlanAssignment.Target.MEMBER:
            email = (data.get("member_email") or "").strip().lower()
            member = get_user_model().objects.filter(email__iexact=email).first() if email else None
            if member is None:
                self.add_error("member_email", _("No member has this e-mail address."))
            data["object"] = member
        elif target:
            field_name = {"product": "product", "category": "category", "group": "group"}[target]
            if data.get(field_name) is None:
                self.add_error(field_name, _("Choose what this plan applies to."))
            data["object"] = data.get(field_name)
        return data


class SettingsForm(forms.ModelForm):
    class Meta:
        model = CommissionSettings
        fields = ["automatic", "hold_days"]
