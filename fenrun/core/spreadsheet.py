"""Text that goes into a CSV or Excel cell: one rule against formula injection for every export.

A spreadsheet program runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some,
a tab or carriage return before one) as a formula: a member named ``=HYPERLINK(...)`` would
become a live link in the shop's own download. Such text gets a leading apostrophe, which the
program shows as nothing and which makes the cell text. A plain number written as text
(``-1``, ``+1``, ``-12.50``) is a number, not a formula, and stays as it is so that sums over
the column keep working.
"""

import re

from django.utils.encoding import force_str

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_text(value) -> str:
    """``value`` as cell text that a spreadsheet never evaluates (None is the empty cell)."""
    text = "" if value is None else force_str(value)
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text
