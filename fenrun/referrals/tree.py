"""Path arithmetic of the referral tree (no database access).

A path is the concatenation of zero-padded ids, root first, ending with the node's own id.
"""

from django.db.models import BigIntegerField, Func, IntegerField, TextField

# Nine decimal digits per segment: ids up to 999,999,999 (a check constraint enforces it).
# Decimal rather than base 36 so that SQL on both SQLite and PostgreSQL can CAST a segment back
# to the upline's id, which makes the upline chain one indexed query.
SEGMENT_WIDTH = 9
MAX_NODE_ID = 10**SEGMENT_WIDTH - 1
# PostgreSQL refuses B-tree entries above ~2.7 kB; the path of a 5,000-level chain is 45 kB. The
# range index covers the first 200 levels' worth of path, which is exact for any member up to
# level 200 and narrows deeper look-ups to one level-200 subtree before filtering.
PATH_HEAD_LENGTH = SEGMENT_WIDTH * 200


class PathHead(Func):
    """``SUBSTR(path, 1, 1800)``, the numbers written out (a generated column's expression
    must not carry parameters)."""

    template = f"SUBSTR(%(expressions)s, 1, {PATH_HEAD_LENGTH})"
    output_field = TextField()


class PathLength(Func):
    """Characters in the path. On PostgreSQL the byte length, which is the same for digits
    and, unlike LENGTH on UTF-8 text, needs no walk through a 45 kB path."""

    function = "LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="OCTET_LENGTH", **extra)


class PathTailId(Func):
    """The id in the path's last segment (the node's own)."""

    output_field = BigIntegerField()
    template = f"CAST(SUBSTR(%(expressions)s, -{SEGMENT_WIDTH}) AS BIGINT)"

    def as_postgresql(self, compiler, connection, **extra):
        # Sliced as bytes: RIGHT() on UTF-8 text counts every character of the path first.
        template = (
            "CAST(convert_from(substring(convert_to(%(expressions)s, 'UTF8') "
            f"FROM octet_length(%(expressions)s) - {SEGMENT_WIDTH - 1}), 'UTF8') AS BIGINT)"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


def segment(user_id: int) -> str:
    if not 0 < user_id <= MAX_NODE_ID:
        raise ValueError(f"user id {user_id} does not fit a tree path segment")
    return f"{user_id:0{SEGMENT_WIDTH}d}"


def path_ids(path: str) -> list[int]:
    """Every id on the path, root first (the node itself last)."""
    return [int(path[i : i + SEGMENT_WIDTH]) for i in range(0, len(path), SEGMENT_WIDTH)]


def upline_ids(path: str) -> list[int]:
    """The ids above the node, root first (the sponsor last)."""
    return path_ids(path)[:-1]


def is_below(path: str, ancestor_path: str) -> bool:
    """Whether the node at ``path`` is in the downline of the node at ``ancestor_path``."""
    return len(path) > len(ancestor_path) and path.startswith(ancestor_path)


def successor(prefix: str) -> str | None:
    """The smallest digit string of the same length greater than ``prefix`` (None if all 9s).

    Every path that starts with ``prefix`` sorts in [prefix, successor(prefix)); the ids are
    digits, so this holds under any collation, not only C.
    """
    stripped = prefix.rstrip("9")
    if not stripped:
        return None
    return stripped[:-1] + str(int(stripped[-1]) + 1) + "0" * (len(prefix) - len(stripped))


def subtree_lookup(path: str, depth: int, *, include_self: bool = True) -> dict:
    """ORM filter arguments selecting the subtree whose top has ``path``: one range of the
    (path_head, depth) index."""
    upper = successor(path)
    depth_filter = {"depth__gte": depth} if include_self else {"depth__gt": depth}
    if len(path) <= PATH_HEAD_LENGTH:
        lookup = {"path_head__gte": path, **depth_filter}
        if upper is not None:
            lookup["path_head__lt"] = upper
        return lookup
    # Deeper than the indexed head: the index narrows to the level-200 ancestor's subtree,
    # the full path finishes the job.
    lookup = {"path_head": path[:PATH_HEAD_LENGTH], "path__gte": path, **depth_filter}
    if upper is not None:
        lookup["path__lt"] = upper
    return lookup
