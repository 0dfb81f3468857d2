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
    LEGAL_WARNING_LEVELS,
    CommissionPlan,
    CommissionSettings,
    PlanAssignment,
    PlanVersion,
)

MAX_GUARANTEED = 10
HUNDRED = Decimal(100)


def rate_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(
            attrs={"step": "0.01", "min": "0", "max": "100", "inputmode": "decimal"}
        ),
    )


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
        min_value=1,
        max_value=engine.MAX_LEVELS,
        initial=2,
        error_messages={
            "max_value": gettext_lazy("A plan has at most 20 levels."),
            "min_value": gettext_lazy("A plan has at least one level."),
        },
    )
    cap = forms.DecimalField(
        label=gettext_lazy("Cap (percent of the base)"),
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
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
                min_value=1,
                error_messages={
                    "min_value": _("A guaranteed level is a tree level of 1 or more."),
                    "invalid": _("A guaranteed level is a whole number of 1 or more."),
                },
                widget=forms.NumberInput(attrs={"min": "1", "step": "1"}),
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
    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = CommissionPlan.objects.filter(name=name)
        if self.plan is not None:
            taken = taken.exclude(pk=self.plan.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another plan already has this name."))
        return name

    def _drop(self, name: str) -> None:
        """Inputs outside the chosen mode and level count are ignored, errors included."""
        self._errors.pop(name, None)
        self.cleaned_data.pop(name, None)

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        levels = data.get("levels")
        if mode is None or levels is None:
            return data
        for k in range(1, engine.MAX_LEVELS + 1):
            if mode != engine.LEVELS or k > levels:
                self._drop(f"rate_{k}")
        for n in range(1, engine.MAX_LEVELS + 1):
            for k in range(1, n + 1):
                if mode != engine.MATRIX or n > levels:
                    self._drop(f"m_{n}_{k}")

        cap = data.get("cap")
        limit = cap if cap is not None else HUNDRED
        limit_error = _("The rates add up to %(total)s%%, more than the %(cap)s%% cap.")
        rows: list[tuple[str, list[Decimal | None]]] = []
        if mode == engine.LEVELS:
            names = [f"rate_{k}" for k in range(1, levels + 1)]
            rows.append(("rate_1", [data.get(n) for n in names]))
            for k, name in enumerate(names, start=1):
                if data.get(name) is None and name not in self._errors:
                    self.add_error(name, _("Enter the rate of level %(k)s.") % {"k": k})
        else:
            for n in range(1, levels + 1):
                names = [f"m_{n}_{k}" for k in range(1, n + 1)]
                rows.append((f"m_{n}_1", [data.get(x) for x in names]))
                for name in names:
                    if data.get(name) is None and name not in self._errors:
                        self.add_error(
                            name,
                            _("Row %(n)s needs %(n)s rates, one per upline inside the window.")
                            % {"n": n},
                        )
        for first_field, values in rows:
            if any(v is None for v in values):
                continue
            total = sum(values, Decimal(0))
            if total > limit:
                target = "cap" if cap is not None else first_field
                self.add_error(
                    target,
                    limit_error % {"total": _fmt(total), "cap": _fmt(limit)}
                    if cap is not None
                    else _("The rates add up to %(total)s%%, more than 100%%.")
                    % {"total": _fmt(total)},
                )

        guaranteed: list[tuple[int, Decimal]] = []
        seen: set[int] = set()
        for i in range(1, MAX_GUARANTEED + 1):
            tl_name, rate_name = f"g_{i}_tree_level", f"g_{i}_rate"
            tree_level, rate = data.get(tl_name), data.get(rate_name)
            if tl_name in self._errors or rate_name in self._errors:
                continue
            if tree_level is None and rate is None:
                continue
            if tree_level is None:
                self.add_error(tl_name, _("Enter the tree level this rate guarantees."))
                continue
            if rate is None:
                self.add_error(rate_name, _("Enter the rate of this guaranteed level."))
                continue
            if tree_level in seen:
                self.add_error(tl_name, _("This tree level is already guaranteed above."))
                continue
            seen.add(tree_level)
            guaranteed.append((tree_level, rate))
        guaranteed_total = sum((r for _t, r in guaranteed), Decimal(0))
        if guaranteed_total > limit:
            self.add_error(
                "cap" if cap is not None else "g_1_rate",
                _("The guaranteed levels alone pay %(total)s%%, more than the %(cap)s%% cap.")
                % {"total": _fmt(guaranteed_total), "cap": _fmt(limit)},
            )
        data["guaranteed"] = tuple(sorted(guaranteed))

        if levels >= LEGAL_WARNING_LEVELS and not data.get("legal_acknowledged"):
            self.add_error(
                "legal_acknowledged",
                _(
                    "A plan of three or more levels is direct selling under Taiwan's Multi-Level "
                    "Marketing Supervision Act (多層次傳銷管理法) and needs approval: confirm it "
                    "to save."
                ),
            )
        return data

    def rules(self) -> engine.PlanRules:
        """The engine's view of the valid form (for the preview and for saving)."""
        data = self.cleaned_data
        levels, mode = data["levels"], data["mode"]
        rates: tuple = ()
        matrix: tuple = ()
        if mode == engine.LEVELS:
            rates = tuple(data[f"rate_{k}"] for k in range(1, levels + 1))
        else:
            matrix = tuple(
                tuple(data[f"m_{n}_{k}"] for k in range(1, n + 1)) for n in range(1, levels + 1)
            )
        return engine.PlanRules(
            levels=levels,
            mode=mode,
            rates=rates,
            matrix=matrix,
            cap=data.get("cap"),
            guaranteed=data.get("guaranteed", ()),
            include_shipping=data.get("include_shipping", False),
            include_credit=data.get("include_credit", False),
            inactive_rule=data["inactive_rule"],
            self_pay=data.get("self_pay", False),
            rounding_mode=data["rounding_mode"],
            rounding_places=data["rounding_places"],
        )

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
    initial.update(
        mode=rules.mode,
        levels=rules.levels,
        cap=rules.cap,
        include_shipping=rules.include_shipping,
        include_credit=rules.include_credit,
        inactive_rule=rules.inactive_rule,
        self_pay=rules.self_pay,
        rounding_mode=rules.rounding_mode,
        rounding_places=rules.rounding_places,
    )
    for k, rate in enumerate(rules.rates, start=1):
        initial[f"rate_{k}"] = rate
    for n, row in enumerate(rules.matrix, start=1):
        for k, rate in enumerate(row, start=1):
            initial[f"m_{n}_{k}"] = rate
    for i, (tree_level, rate) in enumerate(rules.guaranteed, start=1):
        initial[f"g_{i}_tree_level"] = tree_level
        initial[f"g_{i}_rate"] = rate
    return initial


def rules_to_form_data(payload: dict) -> dict:
    """Flatten an API payload (lists) into the form's field names."""
    data: dict = {}
    for key in (
        "name",
        "description",
        "mode",
        "cap",
        "inactive_rule",
        "rounding_mode",
        "rounding_places",
        "note",
    ):
        value = payload.get(key)
        if value is not None:
            data[key] = str(value)
    for key in (
        "is_default",
        "include_shipping",
        "include_credit",
        "self_pay",
        "legal_acknowledged",
    ):
        if payload.get(key):
            data[key] = "on"
    mode = payload.get("mode") or engine.LEVELS
    rates = payload.get("rates") or []
    matrix = payload.get("matrix") or []
    levels = len(rates) if mode == engine.LEVELS else len(matrix)
    data["levels"] = str(levels)
    for k, rate in enumerate(rates[: engine.MAX_LEVELS], start=1):
        data[f"rate_{k}"] = str(rate)
    for n, row in enumerate(matrix[: engine.MAX_LEVELS], start=1):
        for k, rate in enumerate(row[:n], start=1):
            data[f"m_{n}_{k}"] = str(rate)
    for i, item in enumerate((payload.get("guaranteed") or [])[:MAX_GUARANTEED], start=1):
        if item.get("tree_level") is not None:
            data[f"g_{i}_tree_level"] = str(item["tree_level"])
        if item.get("rate") is not None:
            data[f"g_{i}_rate"] = str(item["rate"])
    return data


def api_error_key(name: str) -> str:
    """Form field name → the API payload's path (rate_3 → rates.2, m_2_1 → matrix.1.0)."""
    parts = name.split("_")
    if name.startswith("rate_"):
        return f"rates.{int(parts[1]) - 1}"
    if name.startswith("m_") and len(parts) == 3:
        return f"matrix.{int(parts[1]) - 1}.{int(parts[2]) - 1}"
    if name.startswith("g_") and len(parts) >= 3:
        return f"guaranteed.{int(parts[1]) - 1}.{'_'.join(parts[2:])}"
    return name


class PreviewForm(forms.Form):
    """ "An order of NT$X by a member at level n": who gets what, before saving."""

    amount = forms.DecimalField(
        label=gettext_lazy("Order goods (NT$)"),
        min_value=0,
        max_value=10_000_000,
        max_digits=12,
        decimal_places=2,
        initial=1000,
    )
    buyer_level = forms.IntegerField(
        label=gettext_lazy("Buyer's level (number of uplines)"),
        min_value=0,
        max_value=60,
        initial=2,
        help_text=gettext_lazy("The source is level 0; a member the source brought in is level 1."),
    )
    shipping = forms.DecimalField(
        label=gettext_lazy("Shipping fee (NT$)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
    )
    credit = forms.DecimalField(
        label=gettext_lazy("Paid with shopping credit (NT$)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
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
