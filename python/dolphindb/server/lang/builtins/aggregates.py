"""Aggregates (sum, avg, std, first, wavg ...), running aggregates (cumsum ...) and element-wise
math (log, sqrt, abs, round ...)."""
from __future__ import annotations


import math

import numpy as np

from ...model.values import (DOUBLE, INT, LONG, VOID, Scalar, null_of,
                            Vector)
from ...errors import ScriptError
from ..registry import builtin, constant
from ...model.array_vectors import over_rows
from ...model.columns import (FLOATING, NUMERIC, S, TEMPORAL, as_array, element,
                             is_scalar, length, make, null_mask, to_int, vector_of)


def _numeric(x, what):
    if isinstance(x, Scalar):
        x = vector_of([x])
    if not isinstance(x, Vector) or (x.type not in NUMERIC and x.type not in TEMPORAL and x.type != VOID):
        raise ScriptError(f"{what} only supports numeric vectors")
    return x


def _valid_values(x):
    mask = null_mask(x)
    return as_array(x)[~mask] if x.data is not None else np.empty(0)


def _agg(name, fn, result_type=None):
    @builtin(name, 1, aggregate=True)
    def agg(ctx, x):
        x = _numeric(x, name)
        vals = _valid_values(x)
        rt = result_type or x.type
        if rt == "sum":   # integral sums are LONG, so they cannot overflow an INT
            rt = DOUBLE if x.type in FLOATING else LONG
        if len(vals) == 0:
            return S(rt if rt != VOID else DOUBLE, None)
        r = fn(vals.astype(np.float64) if rt in FLOATING else vals.astype(np.int64))
        return S(rt, float(r) if rt in FLOATING else int(r))
    return agg


_agg("sum", np.sum, "sum")
_agg("max", np.max)
_agg("min", np.min)
_agg("avg", np.mean, DOUBLE)
_agg("mean", np.mean, DOUBLE)
_agg("med", np.median, DOUBLE)
_agg("prod", np.prod, DOUBLE)


def _spread(name, ddof_fn):
    @builtin(name, 1, aggregate=True)
    def agg(ctx, x):
        vals = _valid_values(_numeric(x, name)).astype(np.float64)
        if len(vals) < 2:
            return S(DOUBLE, None)
        return S(DOUBLE, float(ddof_fn(vals)))


_spread("std", lambda v: np.std(v, ddof=1))
_spread("var", lambda v: np.var(v, ddof=1))


@builtin("first", 1, aggregate=True)
def first(ctx, x):
    return element(x, 0) if length(x) else S(x.type, None)


@builtin("last", 1, aggregate=True)
def last(ctx, x):
    return element(x, length(x) - 1) if length(x) else S(x.type, None)


@builtin("wavg", 2, aggregate=True)
def wavg(ctx, x, w):
    a, b = as_array(x).astype(np.float64), as_array(w).astype(np.float64)
    return S(DOUBLE, float(np.sum(a * b) / np.sum(b)))


def _cumulative(name, fn):
    @builtin(name, 1)
    def cum(ctx, x):
        x = _numeric(x, name)
        mask = null_mask(x)
        floating = x.type in FLOATING
        arr = as_array(x).astype(np.float64 if floating else np.int64)
        fill = {"cumsum": 0, "cumprod": 1, "cummax": -np.inf, "cummin": np.inf}[name]
        r = fn(np.where(mask, fill, arr))
        rt = DOUBLE if floating else (LONG if x.type == LONG else INT) if name in ("cumsum", "cumprod") else x.type
        return make(rt, r, False)


_cumulative("cumsum", np.cumsum)
_cumulative("cumprod", np.cumprod)
_cumulative("cummax", np.maximum.accumulate)
_cumulative("cummin", np.minimum.accumulate)


def _unary_math(name, fn):
    @builtin(name, 1)
    @over_rows
    def f(ctx, x):
        mask = null_mask(x)
        with np.errstate(all="ignore"):
            r = fn(as_array(x).astype(np.float64))
        return make(DOUBLE, np.where(mask, null_of(DOUBLE), r), is_scalar(x))


for _n, _f in (("log", np.log), ("exp", np.exp), ("sqrt", np.sqrt), ("floor", np.floor), ("ceil", np.ceil)):
    _unary_math(_n, _f)


@builtin("abs", 1)
@over_rows
def abs_(ctx, x):
    mask = null_mask(x)
    r = np.abs(as_array(x))
    return make(x.type, np.where(mask, as_array(x), r), is_scalar(x))


@builtin("round", 1, 2)
@over_rows
def round_(ctx, x, digits=None):
    d = 0 if digits is None else to_int(digits)
    r = np.round(as_array(x).astype(np.float64), d)
    return make(DOUBLE, np.where(null_mask(x), null_of(DOUBLE), r), is_scalar(x))


builtin("pi", 0)(constant(S(DOUBLE, math.pi)))

