"""Type conversions: `cast` / `$`, the per-type casts (int, double, date, decimal64 ...), string
parsing into numbers and temporals, uuid / int128 / ipaddr, and the type-name constants (INT,
DOUBLE ...). Temporal values convert through nanoseconds."""
from __future__ import annotations

import ipaddress
import uuid as _uuid
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext

import numpy as np

from ...errors import ScriptError
from ...model.array_vectors import over_rows
from ...model.columns import (FLOATING, INTEGRAL, NUMERIC, TEMPORAL, S, as_array, element, format_scalar, is_scalar,
                              make, null_mask, to_int, vector_of)
from ...model.types import NS_PER_UNIT, TYPE_BY_NAME
from ...model.values import (ANY, BLOB, BOOL, CHAR, DATE, DATEHOUR, DATETIME, DECIMAL128, DECIMAL32, DECIMAL64,
                             DOUBLE, FLOAT, INT, INT128, IPADDR, LONG, MINUTE, MONTH, NANOTIME, NANOTIMESTAMP, PAIR,
                             SECOND, SHORT, STORAGE_DTYPE, STRING, SYMBOL, TIME, TIMESTAMP, TYPE_NAMES, UUID, VOID,
                             EnumInt, Matrix, Scalar, Vector, null_of, type_name)
from ..literals import match_temporal
from ..registry import builtin, constant

# nanoseconds per unit of each temporal type (MONTH handled separately)
NS_PER = NS_PER_UNIT
TIME_OF_DAY = (TIME, MINUTE, SECOND, NANOTIME)
DAY_NS = 86400 * 10**9



class ScaledType(Scalar):
    """A DECIMAL type with its scale as a type argument: DECIMAL32(2), DECIMAL64(10)[]. Not a plain
    Scalar, so a list of types holding one stays a tuple and keeps each scale."""


def _decimal_type(t):
    def fn(ctx, scale=None):
        return EnumInt(TYPE_NAMES[t], t) if scale is None else ScaledType(INT, t, to_int(scale))
    fn.is_constant = True
    return fn


for _t, _name in TYPE_NAMES.items():
    if _t in (DECIMAL32, DECIMAL64, DECIMAL128):
        builtin(_name, 0, 1)(_decimal_type(_t))
    else:
        builtin(_name, 0)(constant(EnumInt(_name, _t)))


def scalars(v):
    return [element(v, i) for i in range(len(v))]


def to_ns(v):
    """Temporal storage -> int64 nanoseconds since epoch (or since midnight), NULL -> None mask."""
    t = v.type
    arr = as_array(v).astype(np.int64)
    if t == MONTH:
        years, months = arr // 12, arr % 12
        days = (np.array((years - 1970) * 12 + months, dtype="datetime64[M]").astype("datetime64[D]")
                .astype(np.int64))
        return days * DAY_NS
    return arr * NS_PER[t]


def from_ns(ns, target):
    if target == MONTH:
        return np.asarray(ns // DAY_NS).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
    if target in TIME_OF_DAY:
        ns = np.mod(ns, DAY_NS)
    return np.floor_divide(ns, NS_PER[target])


DECIMALS = (DECIMAL32, DECIMAL64, DECIMAL128)
_DECIMAL_MAX = {DECIMAL32: (1 << 31) - 1, DECIMAL64: (1 << 63) - 1, DECIMAL128: (1 << 127) - 1}


def _decimal_from_text(v, target, scale, scalar):
    """Decimal text as DECIMAL `target`(scale), exactly (digits past the scale round half away from
    zero); empty or unparsable text is NULL."""
    def one(text):
        try:
            d = Decimal((text or "").strip())
        except InvalidOperation:
            return null_of(target)
        if not d.is_finite():
            return null_of(target)
        with localcontext(Context(prec=80)):          # DECIMAL128 has 38 digits: the default 28 is short
            raw = int(d.scaleb(scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if abs(raw) > _DECIMAL_MAX[target]:
            raise ScriptError(f"Decimal math overflow: {text} does not fit {type_name(target)}({scale})")
        return raw

    texts = [v.value] if scalar else list(v.data)
    data = np.array([one(t) for t in texts], dtype=STORAGE_DTYPE.get(target, object))
    return make(target, data[0] if scalar else data, scalar, scale)


def _exact_decimal(v, target, scale, mask, scalar):
    """An integral or DECIMAL value as DECIMAL `target`(scale) in Python ints: no float rounding, so
    38-digit DECIMAL128 values and scale changes stay exact (dropped digits round half away from 0)."""
    shift = scale - (v.scale if v.type in DECIMALS else 0)
    unit = 10 ** abs(shift)

    raws = as_array(v)
    if not scalar and len(raws) > 64 and DECIMAL128 not in (v.type, target) and unit <= 10 ** 18:
        data = _rescaled_int64(raws, np.asarray(mask), shift, unit, target)
        if data is not None:
            return make(target, data, False, scale)
        # (a value out of range: the loop below names it)
    # (a short vector or a scalar: Python ints cost less than a few numpy calls)
    null, largest = null_of(target), _DECIMAL_MAX[target]
    data = []
    for raw, is_null in zip(raws.tolist() if not scalar else [raws.item()],
                            mask.tolist() if not scalar else [bool(mask)]):
        if is_null:
            data.append(null)
            continue
        raw = int(raw)
        if shift >= 0:
            r = raw * unit
        else:
            q, rem = divmod(abs(raw), unit)
            r = (q + (2 * rem >= unit)) * (1 if raw >= 0 else -1)
        if abs(r) > largest:
            raise ScriptError(f"Decimal math overflow: {raw} does not fit {type_name(target)}({scale})")
        data.append(r)
    if scalar:
        return make(target, data[0], True, scale)
    return make(target, np.array(data, dtype=STORAGE_DTYPE.get(target, object)), False, scale)


def _rescaled_int64(raws, nulls, shift, unit, target):
    """_exact_decimal's rescaling of 64-bit raw values in numpy (the same rounding); None when a
    result would not fit DECIMAL32 / DECIMAL64 `target`."""
    largest = _DECIMAL_MAX[target]
    raws = np.where(nulls, 0, raws.astype(np.int64))
    if shift >= 0:
        if len(raws) and max(int(raws.max()), -int(raws.min())) > largest // unit:
            return None
        out = raws * unit
    else:
        q, rem = np.divmod(np.abs(raws), unit)
        out = np.where(raws < 0, -1, 1) * (q + (2 * rem >= unit))
        if len(out) and np.abs(out).max() > largest:
            return None
    out[nulls] = null_of(target)
    return out


@over_rows
def cast(v, target, scale=0):
    if isinstance(v, Vector) and v.type == ANY:
        typed = vector_of(v.data)
        if typed.type == ANY:
            if not all(isinstance(x, Scalar) and x.type == VOID for x in v.data):
                raise ScriptError(f"Can't convert a tuple of mixed elements to {type_name(target)}")
            typed = Vector(VOID, None, length_=len(v))      # a tuple of NULLs is NULLs of any type
        return cast(typed, target, scale)
    src = v.type
    scalar = is_scalar(v)
    if src == target and target not in (DECIMAL32, DECIMAL64, DECIMAL128):
        return v
    if src == VOID:
        return Scalar(target, None, scale) if scalar else make(target, np.full(len(v), null_of(target)), False, scale)
    mask = null_mask(v)
    if target in (STRING, SYMBOL):
        if src in (STRING, SYMBOL):
            return make(target, as_array(v), scalar)
        vals = [format_scalar(s) for s in ([v] if scalar else scalars(v))]
        return make(target, np.array(vals, dtype=object)[0] if scalar else np.array(vals, dtype=object), scalar)
    if target == BLOB:
        vals = [(s.value or "").encode("utf-8", "surrogateescape") if s.type in (STRING, SYMBOL) else (s.value or b"")
                for s in ([v] if scalar else scalars(v))]
        return make(BLOB, np.array(vals, dtype=object)[0] if scalar else np.array(vals, dtype=object), scalar)
    if src in (STRING, SYMBOL) and target in DECIMALS:
        return _decimal_from_text(v, target, scale, scalar)
    if src in (STRING, SYMBOL):
        items = [v] if scalar else scalars(v)
        parsed = [parse_number_or_temporal(s.value or "", target) for s in items]
        data = np.array([null_of(target) if p is None else p for p in parsed])
        return make(target, data if not scalar else data[0], scalar)
    if target in DECIMALS and (src in DECIMALS or src in INTEGRAL):
        return _exact_decimal(v, target, scale, mask, scalar)
    if target in (DECIMAL32, DECIMAL64, DECIMAL128):
        arr = np.where(mask, 0.0, as_array(v).astype(np.float64))     # a NULL's lowest float would overflow
        raw = np.round(arr * 10**scale)
        data = np.array([null_of(target) if m else int(x) for x, m in zip(np.atleast_1d(raw), np.atleast_1d(mask))],
                        dtype=STORAGE_DTYPE.get(target, object))
        return make(target, data[0] if scalar else data, scalar, scale)
    if src in (DECIMAL32, DECIMAL64, DECIMAL128):
        arr = np.array([null_of(DOUBLE) if m else int(x) / 10**v.scale for x, m in
                        zip(np.atleast_1d(as_array(v)), np.atleast_1d(mask))])
        return cast(make(DOUBLE, arr[0] if scalar else arr, scalar), target)
    if target in TEMPORAL:
        if src in TEMPORAL:
            r = from_ns(to_ns(v), target)
        elif src in INTEGRAL or src in FLOATING:
            r = as_array(v).astype(np.int64) if src in INTEGRAL else np.nan_to_num(as_array(v)).astype(np.int64)
        else:
            raise ScriptError(f"Can't convert {type_name(src)} to {type_name(target)}")
        r = np.where(mask, null_of(target), r)
        return make(target, r, scalar)
    if target in NUMERIC:
        if src not in NUMERIC and src not in TEMPORAL:
            raise ScriptError(f"Can't convert {type_name(src)} to {type_name(target)}")
        arr = as_array(v)
        if target in FLOATING:
            r = np.where(mask, null_of(target), arr.astype(np.float64))
        elif target == BOOL:
            r = np.where(mask, null_of(BOOL), (arr != 0).astype(np.int64))
        else:
            info = np.iinfo(STORAGE_DTYPE[target])
            vals = np.nan_to_num(arr.astype(np.float64)) if src in FLOATING else arr.astype(np.int64)
            if src in FLOATING:
                vals = np.round(vals)
            r = np.where(mask | (vals < info.min) | (vals > info.max), null_of(target), vals)
        return make(target, r, scalar)
    raise ScriptError(f"Can't convert {type_name(src)} to {type_name(target)}")


@builtin("cast", 2)
def cast_builtin(ctx, v, t):
    if isinstance(t, Scalar) and t.type in (STRING, SYMBOL):
        target = TYPE_BY_NAME.get((t.value or "").upper())
        if target is None:
            raise ScriptError(f"Unknown data type {t.value}")
        return cast(v, target)
    if isinstance(t, Vector) and t.form == PAIR:      # x $ rows:cols reshapes into a matrix
        rows, cols = int(t.data[0]), int(t.data[1])
        if len(v) != rows * cols:
            raise ScriptError("The size of the vector doesn't match the dimensions")
        return Matrix(v.type, np.asarray(v.data).reshape((cols, rows)).T)
    if isinstance(t, Scalar) and t.type == INT:
        return cast(v, t.value, t.scale)
    raise ScriptError("The second argument of cast must be a data type")


for _t, _names in ((BOOL, ("bool",)), (CHAR, ("char",)), (SHORT, ("short",)), (INT, ("int",)), (LONG, ("long",)),
                   (FLOAT, ("float",)), (DOUBLE, ("double",)), (STRING, ("string",)), (SYMBOL, ("symbol",)),
                   (DATE, ("date",)), (MONTH, ("month",)), (TIME, ("time",)), (MINUTE, ("minute",)),
                   (SECOND, ("second",)), (DATETIME, ("datetime",)), (TIMESTAMP, ("timestamp",)),
                   (NANOTIME, ("nanotime",)), (NANOTIMESTAMP, ("nanotimestamp",)), (DATEHOUR, ("datehour",)),
                   (BLOB, ("blob",))):
    # Without an argument each (but symbol) makes the NULL of its type: int() is 00i.
    builtin(_names[0], 1 if _t == SYMBOL else 0, 1)(lambda ctx, v=None, _t=_t: Scalar(_t, None) if v is None
                                                     else cast(v, _t))
for _t, _name in ((DECIMAL32, "decimal32"), (DECIMAL64, "decimal64"), (DECIMAL128, "decimal128")):
    builtin(_name, 2)(lambda ctx, v, s, _t=_t: cast(v, _t, int(s.value)))




def parse_number_or_temporal(text: str, target: int):
    """A string converted to `target` (string -> number/temporal casts); None when invalid."""
    text = text.strip()
    if not text:
        return None
    if target in (DATE, MONTH, TIME, MINUTE, SECOND, DATETIME, TIMESTAMP, NANOTIME, NANOTIMESTAMP, DATEHOUR):
        hit = match_temporal(text)
        if hit is None or hit[2] != len(text):
            return None
        return cast(Scalar(hit[0], hit[1]), target).value
    try:
        if target in (FLOAT, DOUBLE):
            return float(text)
        if target in (BOOL, CHAR, SHORT, INT, LONG):
            if target == BOOL:
                return {"true": 1, "false": 0}.get(text.lower(), int(float(text)) != 0)
            return int(float(text))
    except ValueError:
        return None
    return None


def _binary_from_text(target, parse):
    """uuid / int128 / ipaddr: text (a scalar or a vector) parsed to the 128-bit value; empty text
    is NULL, and without an argument the NULL of the type."""
    def fn(ctx, x=None):
        if x is None:
            return S(target, None)
        if isinstance(x, Scalar):
            return S(target, (parse(x.value) if x.value else 0) or None)
        return make(target, np.array([parse(s) if s else 0 for s in x.data], dtype=object), False)
    return fn


builtin("uuid", 0, 1)(_binary_from_text(UUID, lambda s: _uuid.UUID(s).int))
builtin("int128", 0, 1)(_binary_from_text(INT128, lambda s: int(s, 16)))
builtin("ipaddr", 0, 1)(_binary_from_text(IPADDR, lambda s: int(ipaddress.ip_address(s))))
