"""select / exec / update / delete / insert on in-memory tables, evaluated column-wise."""
from __future__ import annotations

import numpy as np

from ..model.values import DOUBLE, FLOAT, INT, LONG, NULL_FIXED, NULL_INT, VOID, ArrayVector, Scalar, Table, Vector, null_of
from . import dfs
from .registry import BUILTINS
from ..errors import ScriptError
from ..model.columns import (TEMPORAL, as_array, column_copy, element, format_value, make, scalar_storage,
                             table_rows, take_rows, truthy, vector_of, writable_data)
from .scope import RowScope, broadcast, default_name, eval_on, where_mask  # noqa: F401  (default_name: joins)
from .builtins.tables import append_columns, set_column, table_changed, table_changing, table_insert_columns
from .builtins.casts import cast
from .nodes import Call, Delete, Select, SelectItem, Star, Update, Var

FAST_AGGREGATES = {"sum", "avg", "mean", "count", "max", "min", "first", "last", "size"}


def source_table(interp, e):
    t = interp.eval(e)
    if not isinstance(t, Table):
        raise ScriptError("The FROM clause must be a table")
    return t


def run_sql(interp, e):
    if isinstance(e, Select):
        return select(interp, e)
    if isinstance(e, Update):
        return update(interp, e.table, e.sets, e.where)
    if isinstance(e, Delete):
        return delete(interp, e.table, e.where)
    return insert(interp, e.table, e.columns, e.values)


def select(interp, q: Select):
    if q.source is None:
        table = Table({"_": Vector(INT, np.zeros(1, dtype=np.int32))})
    else:
        table = source_table(interp, q.source)
        if isinstance(table, dfs.DfsTable):      # reads only the partitions the where clause can touch
            table = dfs.scan(interp, table, q.where)
    if q.where:
        table = table_rows(table, where_mask(interp, table, q.where))
    items = []
    for item in q.items:
        if isinstance(item, Star):
            items.extend(SelectItem(Var(name), name) for name in table.columns)
        else:
            items.append(item)
    source_rows = table
    limit = _limit(interp, q)
    if q.pivot:
        result = pivot_by(interp, table, q.pivot, items)
    elif q.group:
        result = group_by(interp, table, q.group, items, q.having)
    elif q.context:
        # csort orders, having filters and top/limit cut each group, not the whole result
        result = context_by(interp, table, q.context, items, q.csort, q.having, limit)
        limit = None
    else:
        cols, names = [], []
        for i, item in enumerate(items):
            cols.append(eval_on(interp, table, item.expr))
            names.append(item_name(item, i))
        if cols and all(isinstance(c, Scalar) for c in cols):
            n = 1
        else:
            n = table.rows
        result = Table({nm: broadcast(c, n) for nm, c in zip(unique_names(names), cols)})
    if q.order:
        # Without grouping, result row i is source row i: order keys may name unselected columns.
        scope = source_rows if not (q.group or q.context) and result.rows == source_rows.rows else result
        result = table_rows(result, sort_order(interp, scope, q.order))
    if limit is not None:
        result = apply_limit(result, limit)
    if q.kind == "exec":
        cols = list(result.columns.values())
        if len(cols) == 1:
            col = cols[0]
            if result.rows == 1 and (q.group is None and all(_is_aggregate(it.expr) for it in items)):
                return element(col, 0)
            return col
        return result
    return result


def _limit(interp, q):
    """(start, count) of the top or limit clause, or None."""
    if q.top is not None:
        return 0, interp.eval(q.top).value
    if q.limit is not None:
        start = 0 if q.limit[0] is None else interp.eval(q.limit[0]).value
        return start, interp.eval(q.limit[1]).value
    return None


def apply_limit(table, limit):
    start, count = limit
    if count < 0:
        return table_rows(table, np.arange(max(0, table.rows + count), table.rows))
    return table_rows(table, np.arange(start, min(table.rows, start + count)))


def sort_order(interp, table, keys_desc):
    """Row order of `table` by (expression, descending) keys, stable."""
    keys = []
    for expr, desc in reversed(keys_desc):
        arr = as_array(eval_on(interp, table, expr))
        if arr.dtype == object:
            arr = np.unique(arr.astype(str), return_inverse=True)[1]
        keys.append(-arr.astype(np.float64) if desc else arr)
    return np.lexsort(keys)


def group_passes(interp, table, having) -> bool:
    """Whether a group (its rows as a table) satisfies every having condition."""
    return all(truthy(eval_on(interp, table, cond)) for cond in having)


def _is_aggregate(expr):
    return isinstance(expr, Call) and isinstance(expr.fn, Var) and expr.fn.name in BUILTINS and \
        BUILTINS[expr.fn.name].aggregate


def item_name(item: SelectItem, i: int) -> str:
    return item.name or default_name(item.expr, i)


def unique_names(names):
    seen, out = {}, []
    for n in names:
        if n in seen:
            seen[n] += 1
            n = f"{n}_{seen[n]}"
        else:
            seen[n] = 0
        out.append(n)
    return out


def group_keys(interp, table, exprs):
    keys, names, inverses = [], [], []
    for i, e in enumerate(exprs):
        v = eval_on(interp, table, e)
        arr = as_array(v)
        uniq, inv = np.unique(arr.astype(str) if arr.dtype == object else arr, return_inverse=True)
        keys.append(v)
        names.append(default_name(e, i))
        inverses.append(inv)
    combined = np.zeros(table.rows, dtype=np.int64)
    for inv in inverses:
        combined = combined * (int(inv.max(initial=0)) + 1) + inv
    groups, first_rows, gid = np.unique(combined, return_index=True, return_inverse=True)
    return keys, names, gid, first_rows, len(groups)


def group_by(interp, table, exprs, items, having=None):
    keys, key_names, gid, first_rows, ngroups = group_keys(interp, table, exprs)
    out_names = list(key_names)
    out_cols = [take_rows(k, first_rows) for k in keys]
    order = np.argsort(gid, kind="stable")
    bounds = np.searchsorted(gid[order], np.arange(ngroups + 1))
    for i, item in enumerate(items):
        expr = item.expr
        if isinstance(expr, Var) and expr.name in key_names:
            continue
        fast = fast_aggregate(interp, table, expr, gid, order, bounds, ngroups)
        if fast is not None:
            col = fast
        else:
            values = []
            for g in range(ngroups):
                sub = table_rows(table, order[bounds[g]:bounds[g + 1]])
                v = eval_on(interp, sub, expr)
                if not isinstance(v, Scalar):
                    raise ScriptError("An expression in a group by query must produce one value per group")
                values.append(v)
            col = vector_of(values)
        out_names.append(item_name(item, i))
        out_cols.append(col)
    result = Table(dict(zip(unique_names(out_names), out_cols)))
    if having:
        kept = [g for g in range(ngroups)
                if group_passes(interp, table_rows(table, order[bounds[g]:bounds[g + 1]]), having)]
        result = table_rows(result, np.array(kept, dtype=np.int64))
    return result


def fast_aggregate(interp, table, expr, gid, order, bounds, ngroups):
    """numpy reduceat for sum/avg/count/min/max/first/last of a plain column."""
    if not (isinstance(expr, Call) and isinstance(expr.fn, Var)) or expr.fn.name not in FAST_AGGREGATES \
            or len(expr.args) != 1:
        return None
    fn, arg = expr.fn.name, expr.args[0]
    if fn in ("count", "size") and isinstance(arg, Star):
        return Vector(INT, np.diff(bounds).astype(np.int32))
    if not isinstance(arg, Var) or arg.name not in table.columns:
        return None
    col = table.columns[arg.name]
    if isinstance(col, ArrayVector) or col.data is None or col.data.dtype == object or ngroups == 0:
        return None
    data = col.data[order]
    starts = bounds[:-1]
    if col.type not in NULL_FIXED:
        return None
    valid = data != NULL_FIXED[col.type]
    counts = np.add.reduceat(valid.astype(np.int64), starts)
    if fn in ("count", "size"):
        return Vector(INT, counts.astype(np.int32))
    if fn in ("first", "last"):
        idx = starts if fn == "first" else bounds[1:] - 1
        return Vector(col.type, data[idx], col.scale)
    if col.type in TEMPORAL and fn in ("sum", "avg", "mean"):
        return None
    f = data.astype(np.float64)
    if fn in ("sum", "avg", "mean"):
        sums = np.add.reduceat(np.where(valid, f, 0.0), starts)
        if fn == "sum":
            if col.type in (FLOAT, DOUBLE):
                return make(DOUBLE, np.where(counts > 0, sums, null_of(DOUBLE)), False)
            isums = np.add.reduceat(np.where(valid, data.astype(np.int64), 0), starts)   # exact, no float rounding
            return make(LONG, np.where(counts > 0, isums, NULL_INT[LONG]), False)
        with np.errstate(all="ignore"):
            return make(DOUBLE, np.where(counts > 0, sums / counts, null_of(DOUBLE)), False)
    big = np.finfo(np.float64).max
    if fn == "max":
        r = np.maximum.reduceat(np.where(valid, f, -big), starts)
    else:
        r = np.minimum.reduceat(np.where(valid, f, big), starts)
    if col.type in (FLOAT, DOUBLE):
        return make(col.type, np.where(counts > 0, r, null_of(col.type)), False)
    return make(col.type, np.where(counts > 0, r, NULL_INT[col.type]).astype(np.int64), False)


def pivot_by(interp, table, exprs, items):
    """One row per distinct value of the leading pivot expressions, one column per distinct value
    of the last (both sorted); a cell is the item evaluated on its rows (the last value when that
    gives several)."""
    if len(exprs) < 2:
        raise ScriptError("pivot by needs at least two columns")
    if len(items) != 1:
        raise ScriptError("This server supports one selected expression with pivot by")
    keys, key_names, gid, first_rows, ngroups = group_keys(interp, table, exprs[:-1])
    labels = as_array(eval_on(interp, table, exprs[-1]))
    values, cid = np.unique(labels.astype(str) if labels.dtype == object else labels, return_inverse=True)
    label_of = {c: element(eval_on(interp, table, exprs[-1]), int(np.flatnonzero(cid == c)[0]))
                for c in range(len(values))}
    out = {name: take_rows(k, first_rows) for name, k in zip(key_names, keys)}
    expr = items[0].expr
    for c in range(len(values)):
        cells = []
        for g in range(ngroups):
            rows = np.flatnonzero((gid == g) & (cid == c))
            if not len(rows):
                cells.append(Scalar(VOID, None))
                continue
            v = eval_on(interp, table_rows(table, rows), expr)
            cells.append(v if isinstance(v, Scalar) else element(v, len(v) - 1))
        out[_pivot_column_name(format_value(label_of[c]))] = vector_of(cells)
    return Table(out)


def _pivot_column_name(text: str) -> str:
    if text and (text[0].isalpha() or text[0] == "_") and all(ch.isalnum() or ch == "_" for ch in text):
        return text
    return "C" + "".join(ch if ch.isalnum() else "_" for ch in text)


def context_by(interp, table, exprs, items, csort=None, having=None, limit=None):
    keys, key_names, gid, first_rows, ngroups = group_keys(interp, table, exprs)
    order = np.argsort(gid, kind="stable")
    bounds = np.searchsorted(gid[order], np.arange(ngroups + 1))
    parts = []
    for g in range(ngroups):
        rows = order[bounds[g]:bounds[g + 1]]
        sub = table_rows(table, rows)
        if csort:
            sub = table_rows(sub, sort_order(interp, sub, csort))
        if having and not group_passes(interp, sub, having):
            continue
        cols = {}
        for i, item in enumerate(items):
            cols[item_name(item, i)] = broadcast(eval_on(interp, sub, item.expr), sub.rows)
        part = Table(cols)
        parts.append(apply_limit(part, limit) if limit is not None else part)
    return concat_tables(parts) if parts else Table({item_name(item, i): Vector(VOID, None, length_=0)
                                                     for i, item in enumerate(items)})


def concat_tables(parts):
    out = Table({k: column_copy(c) for k, c in parts[0].columns.items()})
    for p in parts[1:]:
        append_columns(out, list(p.columns.values()))
    return out


def update(interp, target, sets, where):
    table = source_table(interp, target)
    if isinstance(table, dfs.DfsTable):
        return dfs.update(interp, table, sets, where)
    mask = where_mask(interp, table, where) if where else None
    table_changing(interp.ctx, table)
    for name, expr in sets:
        value = eval_on(interp, table, expr)
        if mask is None:
            set_column(table, name, value)
            continue
        col = table.columns.get(name)
        if col is None:
            raise ScriptError(f"Unrecognized column name {name}")
        v = cast(value, col.type) if value.type != col.type else value
        data = writable_data(col)
        data[mask] = scalar_storage(v) if isinstance(v, Scalar) else v.data[mask]
    table_changed(interp.ctx, table)
    return None


def delete(interp, target, where):
    table = source_table(interp, target)
    if isinstance(table, dfs.DfsTable):
        return dfs.delete(interp, table, where)
    keep = ~where_mask(interp, table, where) if where else np.zeros(table.rows, dtype=bool)
    table_changing(interp.ctx, table)
    for name, col in list(table.columns.items()):
        table.columns[name] = take_rows(col, keep)
    table_changed(interp.ctx, table)
    return None


def insert(interp, target, cols, values):
    table = source_table(interp, target)
    vals = [interp.eval(v) for v in values]
    is_dfs = isinstance(table, dfs.DfsTable)
    schema = table.column_types() if is_dfs else [(name, col.type) for name, col in table.columns.items()]
    names = cols or [name for name, _ in schema]
    if len(vals) != len(names):
        raise ScriptError("The number of values doesn't match the number of columns")
    by_name = dict(zip(names, vals))
    n = max((len(v) if isinstance(v, Vector) else 1) for v in vals)
    row = [by_name[name] if name in by_name else Scalar(t, None) for name, t in schema]
    if is_dfs:
        dfs.dfs_append(interp.ctx, table, [broadcast(v, n) for v in row])
    else:
        table_insert_columns(interp.ctx, table, [broadcast(v, n) for v in row])
    return None
