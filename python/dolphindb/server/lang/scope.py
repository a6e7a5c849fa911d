"""Evaluating an expression against a table's rows: the scope where column names resolve to the
table's columns (select, where, update, joins and the DFS scans all evaluate this way)."""
from __future__ import annotations

import numpy as np

from ..errors import ScriptError
from ..model.columns import take_rows, truthy, vector_of
from ..model.values import BOOL, VOID, Scalar, Vector
from .nodes import Call, Star, Var


class RowScope:
    """Column names of the table resolve to its columns, other names to variables."""

    def __init__(self, interp, table):
        self.interp, self.table = interp, table

    def __enter__(self):
        self.interp.frames.append(_ColumnFrame(self.table, self.interp.frames[-1] if self.interp.frames else None))
        return self

    def __exit__(self, *exc):
        self.interp.frames.pop()


class _ColumnFrame(dict):
    def __init__(self, table, outer):
        super().__init__()
        self.table, self.outer = table, outer

    def __contains__(self, name):
        return name in self.table.columns or (self.outer is not None and name in self.outer)

    def __getitem__(self, name):
        if name in self.table.columns:
            return self.table.columns[name]
        return self.outer[name]

    def __setitem__(self, name, value):
        if self.outer is not None:
            self.outer[name] = value
        else:
            dict.__setitem__(self, name, value)


def eval_on(interp, table, e):
    with RowScope(interp, table):
        return interp.eval(e)


def where_mask(interp, table, conds):
    mask = np.ones(table.rows, dtype=bool)
    for c in conds:
        v = eval_on(interp, table, c)
        if isinstance(v, Scalar):
            if not truthy(v):
                mask[:] = False
            continue
        if v.type != BOOL or len(v) != table.rows:
            raise ScriptError("The where condition must be a logical expression")
        mask &= v.data == 1
    return mask


def default_name(e, i):
    """The column name of an unnamed select item: x, sum_x, count ..."""
    if isinstance(e, Var):
        return e.name
    if isinstance(e, Call) and isinstance(e.fn, Var):
        args = e.args
        if len(args) == 1 and isinstance(args[0], Star):
            return e.fn.name
        if args and isinstance(args[0], Var):
            return f"{e.fn.name}_{args[0].name}"
        return e.fn.name
    return f"col{i}"


def broadcast(v, n):
    if isinstance(v, Scalar):
        if v.type == VOID:
            return Vector(VOID, None, length_=n)
        return take_rows(vector_of([v]), np.zeros(n, dtype=np.int64))
    return v
