"""Human-readable "why" of a payout, in the reader's language, from its rule code and detail."""

from decimal import Decimal

from django.utils.translation import gettext as _

from fenrun.commissions import engine


def _pct(value) -> str:
    value = Decimal(str(value)).normalize()
    return f"{value:f}%"


def detail_for_storage(detail: dict) -> dict:
    """JSON-safe copy of an engine payout's detail (Decimals as strings)."""
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in detail.items()}


def describe(rule: str, detail: dict, *, rate, level: int) -> str:
    detail = detail or {}
    if rule == "guaranteed" and "window_rate" in detail:
        text = _(
            "Guaranteed tree level %(tree_level)s at %(guaranteed)s, also level %(slot)s at "
            "%(window)s: paid once, at the higher rate"
        ) % {
            "tree_level": detail.get("tree_level"),
            "guaranteed": _pct(detail["guaranteed_rate"]),
            "slot": detail["in_window_slot"],
            "window": _pct(detail["window_rate"]),
        }
    elif rule == "guaranteed":
        text = _("Guaranteed tree level %(tree_level)s at %(rate)s") % {
            "tree_level": detail.get("tree_level"),
            "rate": _pct(detail.get("capped_from", rate)),
        }
        if "in_window_slot" in detail:
            # Commissions created before the guarantee stopped cutting pay were paid this way.
            text += " " + _(
                "(also inside the window at level %(slot)s: paid the guaranteed rate only)"
            ) % {"slot": detail["in_window_slot"]}
    elif rule == engine.MATRIX:
        text = _(
            "The buyer has %(row)s upline(s) inside the window: level %(slot)s of that row pays %(rate)s"
        ) % {
            "row": detail.get("row"),
            "slot": detail.get("slot"),
            "rate": _pct(detail.get("capped_from", rate)),
        }
    else:
        text = _("Level %(slot)s rate %(rate)s") % {
            "slot": detail.get("slot"),
            "rate": _pct(detail.get("capped_from", rate)),
        }
    slot = detail.get("slot")
    if level == 0:
        text += "; " + _("own purchase (the plan pays self-purchases)")
    elif slot is not None and slot != level and rule != "guaranteed":
        text += "; " + _("passed up from an inactive upline (this member is level %(level)s)") % {
            "level": level
        }
    if "capped_from" in detail:
        text += "; " + _("cut to %(rate)s by the plan's cap") % {"rate": _pct(rate)}
    return text


def describe_skip(reason: str) -> str:
    labels = {
        "inactive": _("Inactive or banned: not paid"),
        "cap_reached": _("The cap was already reached: nothing"),
        "zero_rate": _("The rate for this level is 0%"),
    }
    return labels.get(reason, reason)
