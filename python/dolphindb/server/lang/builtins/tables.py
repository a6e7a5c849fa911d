"""Table and session maintenance built-ins the client's data API sends: `drop!` (columns of an
in-memory table), `clearAllCache` and `pnodeRun`."""
from __future__ import annotations

from ...model.values import ANY, Table, Vector
from ..dfs import engine_of
from ..library import table_changed
from ...errors import ScriptError
from ..evaluator import apply
from ..registry import builtin
from ...model.columns import strings_of


@builtin("drop!", 2)
def drop_columns(ctx, t, colNames):
    if not isinstance(t, Table):
        raise ScriptError("drop! only applies to an in-memory table")
    names = strings_of(colNames)
    by_lower = {name.lower(): name for name in t.columns}
    missing = [n for n in names if n.lower() not in by_lower]
    if missing:
        raise ScriptError(f"The column [{missing[0]}] doesn't exist in the table")
    if len({n.lower() for n in names}) >= len(t.columns):
        raise ScriptError("Can't drop all columns of a table")
    for name in names:
        del t.columns[by_lower[name.lower()]]
    table_changed(ctx, t)
    return t


@builtin("clearAllCache", 0, system=True)
def clear_all_cache(ctx):
    """Drops the DFS partitions loaded in memory; they load again from disk when read."""
    engine_of(ctx).clear_cache()
    return None


@builtin("pnodeRun", 1, 3, system=True)
def pnode_run(ctx, function, args=None, addNodeAlias=None):
    """Runs a function on every data node: this server is the only one."""
    if args is None:
        arguments = []
    elif isinstance(args, Vector) and args.type == ANY:
        arguments = list(args.data)
    else:
        arguments = [args]
    return apply(ctx, function, arguments)
