"""What the shop refuses as text at its edge: control characters.

No name, street, note, search or reference a person types contains one, and the databases
disagree about them: PostgreSQL cannot store NUL in a text column (the query fails with a 500)
while SQLite stores it silently. So every edge — the request path, query strings, form and
multipart fields, JSON bodies — refuses them with one rule, defined here and nowhere else
(``fenrun.core.middleware.InputGuardMiddleware`` applies it to every request).

A control character is a C0 control except TAB, LF and CR (which a text area legitimately
sends), DEL (U+007F), a C1 control (U+0080–U+009F, never typed; usually a mis-decoded byte) or a
lone surrogate (U+D800–U+DFFF: JSON's ``"\\ud800"`` escape makes one, and no database can encode
it). A path may not contain TAB, LF or CR either: no address of the shop does.
"""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
PATH_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_character(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def path_has_control_character(path: str) -> bool:
    return PATH_CONTROL_CHARACTERS.search(path) is not None


def fields_with_control_characters(pairs) -> list[str]:
    """The names of the ``(name, value)`` pairs whose name or value holds a control character.

    A name that is itself bad is reported as ``__all__``: echoing it back would only carry the
    character further.
    """
    bad: list[str] = []
    for name, value in pairs:
        if has_control_character(name):
            field = "__all__"
        elif isinstance(value, str) and has_control_character(value):
            field = name
        else:
            continue
        if field not in bad:
            bad.append(field)
    return bad


def document_paths_with_control_characters(document) -> list[str]:
    """Dotted paths (``items.2.name``) of the strings in a parsed JSON document that hold one.

    Walks without recursion, so a document nested 50,000 deep costs a loop, not the stack; each
    entry keeps only its parent, and a path is spelt out only for what is refused.
    """
    bad: list[str] = []
    stack: list[tuple[_Step | None, str | None, object]] = [(None, None, document)]
    while stack:
        step, key, value = stack.pop()
        if key is not None and has_control_character(key):
            field = _dotted(step.parent if step else None)
        elif isinstance(value, str) and has_control_character(value):
            field = _dotted(step)
        else:
            field = None
        if field is not None and field not in bad:
            bad.append(field)
        if isinstance(value, dict):
            stack.extend((_Step(step, str(k)), str(k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((_Step(step, str(i)), None, v) for i, v in enumerate(value))
    return bad


class _Step:
    __slots__ = ("parent", "name")

    def __init__(self, parent: _Step | None, name: str):
        self.parent = parent
        self.name = name


def _dotted(step: _Step | None) -> str:
    names = []
    while step is not None:
        names.append(step.name)
        step = step.parent
    return ".".join(reversed(names)) or "__all__"
