"""Table joiners used as a `from` source: ej / sej (equi), lj / slj (left), fj (full), aj (asof),
wj / pwj (window) and cj (cross).

The result holds the left table's columns, then the right table's columns other than its
matching columns; a right column whose name the left table already has is renamed
`<right table name>_<column>` (`right_<column>` for an unnamed table). Unmatched sides are NULL.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from ...model.values import VOID, ArrayVector, Scalar, Table, Vector, null_of
from ...errors import ScriptError
from ..dfs import MetaCode
from ..evaluator import Interpreter
from ..nodes import VectorLit
from ..scope import default_name, eval_on
from ..registry import builtin
from ...model.columns import strings_of, take_rows, vector_of


def _table(v, side):
    if not isinstance(v, Table):
        raise ScriptError(f"The {side} table of a join must be a table")
    return v


def _matching(left, right, matchingCols, rightMatchingCols):
    lcols = strings_of(matchingCols)
    rcols = lcols if rightMatchingCols is None else strings_of(rightMatchingCols)
    if len(lcols) != len(rcols):
        raise ScriptError("matchingCols and rightMatchingCols must have the same number of columns")
    for names, t, side in ((lcols, left, "left"), (rcols, right, "right")):
        for n in names:
            if n not in t.columns:
                raise ScriptError(f"The {side} table doesn't have the matching column {n}")
    return lcols, rcols


def _keys(t, names):
    columns = [t.columns[n].data for n in names]
    return list(zip(*[c.tolist() for c in columns])) if columns else [()] * t.rows


def _take(col, idx):
    """Rows idx of a column; -1 gives NULL."""
    if isinstance(col, ArrayVector):
        raise ScriptError("A joined table cannot carry array vectors in this server")
    missing = idx < 0
    if not missing.any():
        return take_rows(col, idx)
    if len(col):
        data = np.array(take_rows(col, np.where(missing, 0, idx)).data, copy=True)
    else:
        data = np.empty(len(idx), dtype=col.data.dtype if isinstance(col.data, np.ndarray) else object)
    data[missing] = null_of(col.type)
    return Vector(col.type, data, col.scale)


def _assemble(left, right, rcols, li, ri, key_from_right=None):
    li, ri = np.asarray(li, dtype=np.int64), np.asarray(ri, dtype=np.int64)
    out = {}
    for name, col in left.columns.items():
        out[name] = _take(col, li)
    if key_from_right is not None:      # full join: keys of right-only rows come from the right table
        for lname, rname in key_from_right:
            data = np.array(out[lname].data, copy=True)
            fill = li < 0
            data[fill] = np.asarray(_take(right.columns[rname], ri).data)[fill]
            out[lname] = Vector(out[lname].type, data, out[lname].scale)
    prefix = (right.name or "right") + "_"
    for name, col in right.columns.items():
        if name in rcols:
            continue
        out[prefix + name if name in out else name] = _take(col, ri)
    return Table(out)


def _equi(left, right, matchingCols, rightMatchingCols, how, sort=False):
    left, right = _table(left, "left"), _table(right, "right")
    lcols, rcols = _matching(left, right, matchingCols, rightMatchingCols)
    by_key = defaultdict(list)
    for j, k in enumerate(_keys(right, rcols)):
        by_key[k].append(j)
    li, ri, matched = [], [], set()
    for i, k in enumerate(_keys(left, lcols)):
        rows = by_key.get(k)
        if rows:
            li.extend([i] * len(rows))
            ri.extend(rows)
            matched.update(rows)
        elif how in ("left", "full"):
            li.append(i)
            ri.append(-1)
    if how == "full":
        rest = [j for j in range(right.rows) if j not in matched]
        li.extend([-1] * len(rest))
        ri.extend(rest)
    result = _assemble(left, right, rcols, li, ri, list(zip(lcols, rcols)) if how == "full" else None)
    if sort and result.rows:
        order = np.lexsort([np.unique(np.asarray(result.columns[n].data).astype(str), return_inverse=True)[1]
                            if np.asarray(result.columns[n].data).dtype == object else result.columns[n].data
                            for n in reversed(lcols)])
        result = Table({k: take_rows(c, order) for k, c in result.columns.items()})
    return result


def _register_equi_join(name, how, sort):
    def join(ctx, leftTable, rightTable, matchingCols, rightMatchingCols=None):
        return _equi(leftTable, rightTable, matchingCols, rightMatchingCols, how, sort)
    join.__name__ = f"{name}_join"
    builtin(name, 3, 4)(join)


# ej / sej: matching rows only; lj / slj: every left row; fj: every row of both (s: sorted by the keys)
for _name, _how, _sort in (("ej", "inner", False), ("sej", "inner", True), ("lj", "left", False),
                           ("slj", "left", True), ("fj", "full", False)):
    _register_equi_join(_name, _how, _sort)


@builtin("aj", 3, 4)
def asof_join(ctx, leftTable, rightTable, matchingCols, rightMatchingCols=None):
    """Each left row with the last right row whose leading matching columns are equal and whose
    last matching column is <= the left one's (of equal ones, the last in table order)."""
    left, right = _table(leftTable, "left"), _table(rightTable, "right")
    lcols, rcols = _matching(left, right, matchingCols, rightMatchingCols)
    groups = defaultdict(list)
    for j, k in enumerate(_keys(right, rcols[:-1])):
        groups[k].append(j)
    rlast = np.asarray(right.columns[rcols[-1]].data)
    llast = np.asarray(left.columns[lcols[-1]].data)
    ri = []
    for i, k in enumerate(_keys(left, lcols[:-1])):
        rows = groups.get(k, [])
        best = -1
        for j in rows:
            if rlast[j] <= llast[i] and (best < 0 or rlast[j] >= rlast[best]):
                best = j
        ri.append(best)
    # The right table's own value of the last matching column is kept (it may be earlier).
    return _assemble(left, right, rcols[:-1], np.arange(left.rows), ri)


@builtin("cj", 2)
def cross_join(ctx, leftTable, rightTable):
    left, right = _table(leftTable, "left"), _table(rightTable, "right")
    li = np.repeat(np.arange(left.rows), right.rows)
    ri = np.tile(np.arange(right.rows), left.rows)
    return _assemble(left, right, (), li, ri)


def _window_join(ctx, leftTable, rightTable, window, aggs, matchingCols, rightMatchingCols, prevailing):
    left, right = _table(leftTable, "left"), _table(rightTable, "right")
    lcols, rcols = _matching(left, right, matchingCols, rightMatchingCols)
    if not isinstance(window, Vector) or len(window) != 2:
        raise ScriptError("The window of a window join must be a pair such as -5:0")
    lo, hi = (int(x) for x in np.asarray(window.data))
    if not isinstance(aggs, MetaCode):
        raise ScriptError("The aggregates of a window join must be meta code, e.g. <[avg(price), max(qty)]>")
    exprs = aggs.expr.items if isinstance(aggs.expr, VectorLit) else [aggs.expr]
    groups = defaultdict(list)
    for j, k in enumerate(_keys(right, rcols[:-1])):
        groups[k].append(j)
    rlast = np.asarray(right.columns[rcols[-1]].data).astype(np.int64)
    llast = np.asarray(left.columns[lcols[-1]].data).astype(np.int64)
    interp = Interpreter(ctx)
    cells = [[] for _ in exprs]
    for i, k in enumerate(_keys(left, lcols[:-1])):
        rows = np.array(groups.get(k, []), dtype=np.int64)
        start, end = llast[i] + lo, llast[i] + hi
        inside = rows[(rlast[rows] >= start) & (rlast[rows] <= end)] if len(rows) else rows
        if prevailing and len(rows) and not (rlast[inside] == start).any():
            before = rows[rlast[rows] < start]
            if len(before):
                inside = np.concatenate([before[rlast[before] == rlast[before].max()][-1:], inside])
        for n, e in enumerate(exprs):
            if len(inside):
                cells[n].append(eval_on(interp, Table({c: take_rows(v, inside) for c, v in right.columns.items()}), e))
            else:
                cells[n].append(Scalar(VOID, None))
    out = dict(left.columns)
    for n, e in enumerate(exprs):
        out[default_name(e, n)] = vector_of(cells[n])
    return Table(out)


@builtin("wj", 5, 6)
def window_join(ctx, leftTable, rightTable, window, aggs, matchingCols, rightMatchingCols=None):
    """Each left row with aggregates of the right rows whose last matching column lies in
    [t + window[0], t + window[1]] (same leading matching columns); NULL for an empty window."""
    return _window_join(ctx, leftTable, rightTable, window, aggs, matchingCols, rightMatchingCols, False)


@builtin("pwj", 5, 6)
def prevailing_window_join(ctx, leftTable, rightTable, window, aggs, matchingCols, rightMatchingCols=None):
    """As wj, and a window without a row at its start also takes the last row before it."""
    return _window_join(ctx, leftTable, rightTable, window, aggs, matchingCols, rightMatchingCols, True)
