"""SQL fragments over the referral tree for raw report queries in other apps.

Reports that aggregate over the tree in SQL (the analytics roll-ups and leaderboards) need
"the ancestor at depth k" and "the subtrees of these siblings" inside their own statements. The
fragments are written here, next to the path encoding (``fenrun.referrals.tree``), so that no
other app knows how a path is laid out. Each takes the alias the caller gave the node table
and returns SQL text (plus parameters where it has any); the caller quotes the table itself.
"""

from fenrun.referrals.tree import PATH_HEAD_LENGTH, SEGMENT_WIDTH, successor


def ancestor_id_sql(alias: str, depth_sql: str) -> str:
    """SQL for the id of the node's ancestor at absolute depth ``depth_sql`` (1 = the root of
    its tree, the node's own depth = itself): an SQL expression, e.g. a generate_series column.
    """
    w = SEGMENT_WIDTH
    return f"CAST(SUBSTR({alias}.path, ({depth_sql} - 1) * {w} + 1, {w}) AS BIGINT)"


def ancestor_at_depth_sql(alias: str, depth: int) -> str:
    """SQL for the id of the node's ancestor at a fixed ``depth``; reads the indexed path head
    when the segment lies inside it."""
    w = SEGMENT_WIDTH
    column = "path_head" if depth * w <= PATH_HEAD_LENGTH else "path"
    return f"CAST(SUBSTR({alias}.{column}, {(depth - 1) * w + 1}, {w}) AS BIGINT)"


def sibling_subtrees_sql(alias: str, first_path: str, last_path: str, depth: int):
    """WHERE fragment and parameters: every node strictly below ``depth`` whose path lies in the
    subtrees of the nodes from ``first_path`` to ``last_path`` (all at ``depth``, sorted), as
    one range of the (path_head, depth) index. Subtrees of other nodes between the two may be
    included: group by ``ancestor_at_depth_sql`` and keep the ones asked for."""
    upper = successor(last_path)
    head = f"{alias}.path_head"
    if len(last_path) <= PATH_HEAD_LENGTH:
        where = [f"{head} >= %s"]
        params: list = [first_path]
        if upper is not None:
            where.append(f"{head} < %s")
            params.append(upper)
    else:
        where = [f"{head} >= %s", f"{head} <= %s", f"{alias}.path >= %s"]
        params = [first_path[:PATH_HEAD_LENGTH], last_path[:PATH_HEAD_LENGTH], first_path]
        if upper is not None:
            where.append(f"{alias}.path < %s")
            params.append(upper)
    where.append(f"{alias}.depth > %s")
    params.append(depth)
    return " AND ".join(where), params
