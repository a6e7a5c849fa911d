"""Temporal built-ins: now, today, the date parts (year, month, hour ...), temporalAdd."""
from __future__ import annotations

import time as _time

import numpy as np

from ...model.values import (DATE, INT, MONTH, NANOTIMESTAMP, TIMESTAMP, null_of)
from ...errors import ScriptError
from .casts import NS_PER, cast, from_ns, to_ns
from ..registry import builtin
from ...model.array_vectors import over_rows
from ...model.columns import (S, as_array, is_scalar, make, null_mask, to_int, to_str)


@builtin("now", 0, 1)
def now(ctx, nanos=None):
    t = _time.time_ns()
    if nanos is not None and nanos.value:
        return S(NANOTIMESTAMP, t)
    return S(TIMESTAMP, t // 10**6)


@builtin("today", 0)
def today(ctx):
    return S(DATE, int(_time.time() // 86400))


def _date_part(name, fn):
    @builtin(name, 1)
    @over_rows
    def f(ctx, x):
        d = cast(x, NANOTIMESTAMP)
        arr = np.asarray(as_array(d)).astype("datetime64[ns]")
        r = fn(arr)
        mask = null_mask(x)
        return make(INT, np.where(mask, null_of(INT), r), is_scalar(x))


_date_part("year", lambda a: a.astype("datetime64[Y]").astype(np.int64) + 1970)
_date_part("monthOfYear", lambda a: a.astype("datetime64[M]").astype(np.int64) % 12 + 1)
_date_part("dayOfMonth", lambda a: (a.astype("datetime64[D]") - a.astype("datetime64[M]")).astype(np.int64) + 1)
_date_part("hour", lambda a: (a.astype("datetime64[h]").astype(np.int64)) % 24)
_date_part("weekday", lambda a: (a.astype("datetime64[D]").astype(np.int64) + 4) % 7)


@builtin("temporalAdd", 3)
def temporal_add(ctx, x, n, unit):
    u = to_str(unit)
    per = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "H": 3600 * 10**9,
           "h": 3600 * 10**9, "d": 86400 * 10**9, "w": 7 * 86400 * 10**9}
    mask = null_mask(x)
    if u in ("M", "y"):
        months = to_int(n) * (12 if u == "y" else 1)
        ns = to_ns(x)
        d = np.asarray(ns).astype("datetime64[ns]")
        m = d.astype("datetime64[M]")
        day_off = d - m.astype("datetime64[ns]")
        target = m + months
        # the day of month is kept, clamped to the target month's length (Jan 31 + 1M = Feb 29)
        month_len = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype("timedelta64[ns]")
        last_day = month_len - np.timedelta64(1, "D")
        day_off = np.minimum(day_off, last_day + (day_off % np.timedelta64(1, "D")))
        r = (target.astype("datetime64[ns]") + day_off).astype(np.int64)
    elif u in per:
        r = to_ns(x) + to_int(n) * per[u]
    else:
        raise ScriptError(f"Invalid duration unit {u}")
    out = from_ns(r, x.type) if x.type in NS_PER or x.type == MONTH else r
    return make(x.type, np.where(mask, null_of(x.type), out), is_scalar(x))
