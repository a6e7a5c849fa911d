"""Built-ins over DFS tables that need the interpreter or the engine: loadTableBySQL and
clearAllCache."""
from __future__ import annotations

from ...errors import ScriptError
from ...model.values import Table
from ..dfs import MetaCode, engine_of
from ..evaluator import Interpreter
from ..nodes import Select
from ..registry import builtin


@builtin("loadTableBySQL", 1)
def load_table_by_sql(ctx, sql):
    if not isinstance(sql, MetaCode) or not isinstance(sql.expr, Select):
        raise ScriptError("loadTableBySQL expects meta code of a SELECT statement, e.g. <select * from pt>")
    result = Interpreter(ctx).eval(sql.expr)
    if not isinstance(result, Table):
        raise ScriptError("loadTableBySQL expects a query returning a table")
    return result


@builtin("clearAllCache", 0, system=True)
def clear_all_cache(ctx):
    """Drops the DFS partitions loaded in memory; they load again from disk when read."""
    engine_of(ctx).clear_cache()
    return None
