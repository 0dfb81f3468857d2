"""A fresh checkout sends jobs through the embedded file-system broker before any worker ran."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SEND = """
import django
django.setup()
from fenrun.commissions.tasks import release_held_commissions
release_held_commissions.delay()
"""


def test_a_job_sent_from_a_fresh_process_lands_in_the_broker_folder(tmp_path):
    var = tmp_path / "var"  # does not exist yet, as in a fresh clone
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "FENRUN_VAR_DIR": str(var),
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    env.pop("DATABASE_URL", None)  # sending touches no database
    result = subprocess.run(
        [sys.executable, "-c", SEND], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    messages = list((var / "broker").glob("*.msg"))
    assert len(messages) == 1
    assert "release_held_commissions" in messages[0].read_text()
