"""Staff pages speak to a shop owner, who has no command line."""

import re
from pathlib import Path

from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[1] / "fenrun"


def test_no_template_tells_the_owner_to_run_a_command():
    ours = sorted(name for name, app in get_commands().items() if app.startswith("fenrun."))
    assert "settle_commissions" in ours  # the shop's own commands were found
    offenders = []
    for path in ROOT.rglob("*.html"):
        # What people read: the text and the translated strings, not tag logic such as
        # ``perms.core.settle_commissions``.
        source = path.read_text(encoding="utf-8")
        text = " ".join(re.findall(r'translate "([^"]*)"', source)) + re.sub(
            r"\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S
        )
        offenders += [
            f"{path.relative_to(ROOT)}: {word}" for word in ["manage.py", *ours] if word in text
        ]
    assert not offenders, offenders
