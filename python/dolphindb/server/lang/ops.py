"""Operators as built-ins (add, sub, div, eq, ...) and type casts, element-wise with DolphinDB's
null rules: arithmetic with a NULL gives NULL; comparisons order NULL below every value."""
from __future__ import annotations

import decimal

import numpy as np

from ..model.values import (ANY, BLOB, BOOL, CHAR, DATE, DATEHOUR, DATETIME, DECIMAL128, DECIMAL32, DECIMAL64,
                            DOUBLE, FLOAT, INT, LONG, MINUTE, MONTH, NANOTIME, NANOTIMESTAMP, NULL_INT, PAIR, SECOND,
                            SHORT, STORAGE_DTYPE, STRING, SYMBOL, TIME, TIMESTAMP, VOID, Matrix, Scalar, Vector,
                            null_of, type_name)
from ..errors import ScriptError
from ..model.types import NS_PER_UNIT, TYPE_BY_NAME
from .literals import match_temporal
from .registry import builtin
from ..model.columns import (FLOATING, INTEGRAL, LITERAL, NUMERIC, RANK, TEMPORAL, as_array, element, format_scalar,
                             is_scalar, make, null_mask, vector_of)

# nanoseconds per unit of each temporal type (MONTH handled separately)
NS_PER = NS_PER_UNIT
TIME_OF_DAY = (TIME, MINUTE, SECOND, NANOTIME)
DAY_NS = 86400 * 10**9


def _shape(a, b):
    return is_scalar(a) and is_scalar(b)


def _check_lengths(a, b):
    if isinstance(a, Vector) and isinstance(b, Vector) and len(a) != len(b):
        raise ScriptError("The length of the vector arguments must be the same")


def _result_type(name, ta, tb):
    if ta in TEMPORAL or tb in TEMPORAL:
        if name == "add" and ta in TEMPORAL and tb in INTEGRAL:
            return ta
        if name == "add" and tb in TEMPORAL and ta in INTEGRAL:
            return tb
        if name == "sub" and ta in TEMPORAL and tb in INTEGRAL:
            return ta
        if name == "sub" and ta == tb:
            return LONG if np.dtype(STORAGE_DTYPE[ta]).itemsize == 8 else INT
        raise ScriptError(f"The operator {name} doesn't support {_tn(ta)} and {_tn(tb)}")
    if ta not in NUMERIC or tb not in NUMERIC:
        raise ScriptError(f"Incompatible type. {_tn(ta)} and {_tn(tb)} can't be used in {name}")
    if name in ("ratio", "pow"):
        return DOUBLE
    if ta in FLOATING or tb in FLOATING:
        return FLOAT if ta == tb == FLOAT else DOUBLE
    return LONG if LONG in (ta, tb) else INT


def _tn(t):
    return type_name(t)


def arith(name, a, b):
    if isinstance(a, Matrix) or isinstance(b, Matrix):
        return _matrix_arith(name, a, b)
    _check_lengths(a, b)
    ta, tb = a.type, b.type
    if name == "add" and (ta in LITERAL or tb in LITERAL):
        return _concat(a, b)
    if VOID in (ta, tb):
        other = b if ta == VOID else a
        rt = other.type if other.type in NUMERIC + TEMPORAL else DOUBLE
        n = None if _shape(a, b) else max(len(x) for x in (a, b) if not is_scalar(x))
        return Scalar(rt, None) if n is None else make(rt, np.full(n, null_of(rt)), False)
    rt = _result_type(name, ta, tb)
    mask = null_mask(a) | null_mask(b)
    floating = rt in FLOATING or name in ("ratio", "pow")
    A = as_array(a).astype(np.float64 if floating else np.int64)
    B = as_array(b).astype(np.float64 if floating else np.int64)
    with np.errstate(all="ignore"):
        if name == "add":
            r = A + B
        elif name == "sub":
            r = A - B
        elif name == "mul":
            r = A * B
        elif name == "div":
            if floating:
                r = A / B
            else:
                zero = B == 0
                r = np.floor_divide(A, np.where(zero, 1, B))
                mask = mask | zero
        elif name == "ratio":
            r = A / B
        elif name == "mod":
            zero = B == 0
            r = np.mod(A, np.where(zero, 1, B))
            mask = mask | zero
        elif name == "pow":
            r = np.power(A, B)
        else:
            raise ScriptError(f"Unknown operator {name}")
    if floating:
        r = np.where(np.isfinite(r), r, np.nan) if name in ("div", "ratio") else r
        r = np.where(mask, np.nan, r)
    else:
        r = np.where(mask, null_of(rt), r)
    return make(rt, r, _shape(a, b))


def _matrix_arith(name, a, b):
    ma = a if isinstance(a, Matrix) else None
    mb = b if isinstance(b, Matrix) else None
    shape = (ma or mb).data.shape
    va = Vector(a.type, a.data.reshape(-1)) if ma else a
    vb = Vector(b.type, b.data.reshape(-1)) if mb else b
    r = arith(name, va, vb)
    return Matrix(r.type, r.data.reshape(shape))


def _concat(a, b):
    def strs(v):
        if is_scalar(v):
            return np.asarray(format_scalar(v) if v.type not in (STRING, SYMBOL) else (v.value or ""), dtype=object)
        if v.type in (STRING, SYMBOL):
            return v.data
        return np.array([format_scalar(s) for s in _scalars(v)], dtype=object)
    if is_scalar(a) and is_scalar(b):
        # Python's str concatenation: np.char would widen both to UCS-4 arrays (4x the bytes,
        # several copies, all under the GIL) - seconds for a large string.
        return make(STRING, np.asarray(strs(a).item() + strs(b).item(), dtype=object), _shape(a, b))
    r = np.char.add(strs(a).astype(str), strs(b).astype(str)).astype(object)
    return make(STRING, r, _shape(a, b))


def _scalars(v):
    return [element(v, i) for i in range(len(v))]


def _comparable(v):
    """Storage data made orderable: NaN (float NULL) sorts lowest, like the sentinels do."""
    arr = as_array(v)
    if v.type in FLOATING:
        arr = np.where(np.isnan(arr), -np.inf, arr)
    elif v.type in (STRING, SYMBOL):
        arr = np.asarray(arr, dtype=object)
    return arr


def char_as_string(v):
    """A CHAR operand of a string comparison ('A' against a STRING column) as one-character strings."""
    chars = [None if s.value is None else chr(s.value) for s in ([v] if is_scalar(v) else _scalars(v))]
    return Scalar(STRING, chars[0]) if is_scalar(v) else make(STRING, np.array([c or "" for c in chars], dtype=object),
                                                             False)


def compare(name, a, b):
    _check_lengths(a, b)
    ta, tb = a.type, b.type
    if ta == CHAR and tb in (STRING, SYMBOL):
        a, ta = char_as_string(a), STRING
    elif tb == CHAR and ta in (STRING, SYMBOL):
        b, tb = char_as_string(b), STRING
    if (ta in LITERAL) != (tb in LITERAL) and VOID not in (ta, tb):
        raise ScriptError(f"Incompatible type. {_tn(ta)} and {_tn(tb)} can't be compared")
    if VOID in (ta, tb) and ta != tb:
        # NULL takes the other side's type: it orders below every value and equals only NULL
        other = tb if ta == VOID else ta
        if ta == VOID:
            a = Scalar(other, None) if is_scalar(a) else make(other, np.full(len(a), null_of(other)), False)
        else:
            b = Scalar(other, None) if is_scalar(b) else make(other, np.full(len(b), null_of(other)), False)
        ta = tb = other
    A, B = _comparable(a), _comparable(b)
    if ta in TEMPORAL and tb in TEMPORAL and ta != tb and ta in NS_PER and tb in NS_PER:
        A = np.where(null_mask(a), np.iinfo(np.int64).min, A.astype(np.int64) * NS_PER[ta])
        B = np.where(null_mask(b), np.iinfo(np.int64).min, B.astype(np.int64) * NS_PER[tb])
    op = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
          "ge": np.greater_equal}[name]
    r = op(A, B)
    return make(BOOL, np.asarray(r).astype(np.int8), _shape(a, b))


def _bools(v):
    arr = as_array(v)
    if v.type in FLOATING:
        return np.nan_to_num(arr) != 0
    if v.type in NULL_INT:
        return (arr != 0) & (arr != NULL_INT[v.type])
    raise ScriptError(f"A boolean or number is expected, not {_tn(v.type)}")


def logic(name, a, b=None):
    if name == "not":
        return make(BOOL, (~_bools(a)).astype(np.int8), is_scalar(a))
    _check_lengths(a, b)
    f = np.logical_and if name == "and" else np.logical_or
    return make(BOOL, f(_bools(a), _bools(b)).astype(np.int8), _shape(a, b))


def bitwise(name, a, b):
    if a.type not in INTEGRAL or b.type not in INTEGRAL:
        raise ScriptError(f"The operator {name} only supports integers")
    rt = LONG if LONG in (a.type, b.type) else INT
    A, B = as_array(a).astype(np.int64), as_array(b).astype(np.int64)
    f = {"bitAnd": np.bitwise_and, "bitOr": np.bitwise_or, "bitXor": np.bitwise_xor,
         "lshift": np.left_shift, "rshift": np.right_shift}[name]
    r = np.where(null_mask(a) | null_mask(b), null_of(rt), f(A, B))
    return make(rt, r, _shape(a, b))


for _name in ("add", "sub", "mul", "div", "ratio", "mod", "pow"):
    builtin(_name, 2)(lambda ctx, a, b, _n=_name: arith(_n, a, b))
for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    builtin(_name, 2)(lambda ctx, a, b, _n=_name: compare(_n, a, b))
for _name in ("bitAnd", "bitOr", "bitXor", "lshift", "rshift"):
    builtin(_name, 2)(lambda ctx, a, b, _n=_name: bitwise(_n, a, b))
builtin("and", 2)(lambda ctx, a, b: logic("and", a, b))
builtin("or", 2)(lambda ctx, a, b: logic("or", a, b))
builtin("not", 1)(lambda ctx, a: logic("not", a))


@builtin("neg", 1)
def neg(ctx, a):
    return arith("sub", Scalar(a.type if a.type in NUMERIC else INT, 0), a) if a.type in NUMERIC else \
        arith("mul", a, Scalar(INT, -1))


# ---- casts ------------------------------------------------------------------------------------
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


def _exact_decimal(v, target, scale, mask, scalar):
    """An integral or DECIMAL value as DECIMAL `target`(scale) in Python ints: no float rounding, so
    38-digit DECIMAL128 values and scale changes stay exact (dropped digits round half away from 0)."""
    shift = scale - (v.scale if v.type in DECIMALS else 0)
    unit = 10 ** abs(shift)

    def one(raw, null):
        if null:
            return null_of(target)
        raw = int(raw)
        if shift >= 0:
            r = raw * unit
        else:
            q, rem = divmod(abs(raw), unit)
            r = (q + (2 * rem >= unit)) * (1 if raw >= 0 else -1)
        if abs(r) > _DECIMAL_MAX[target]:
            raise ScriptError(f"Decimal math overflow: {raw} does not fit {_tn(target)}({scale})")
        return r

    raws = np.atleast_1d(np.asarray(as_array(v), dtype=object))
    data = np.array([one(x, m) for x, m in zip(raws, np.atleast_1d(mask))], dtype=STORAGE_DTYPE.get(target, object))
    return make(target, data[0] if scalar else data, scalar, scale)


def cast(v, target, scale=0):
    if isinstance(v, Vector) and v.type == ANY:
        return cast(vector_of(v.data), target, scale)
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
        vals = [format_scalar(s) for s in ([v] if scalar else _scalars(v))]
        return make(target, np.array(vals, dtype=object)[0] if scalar else np.array(vals, dtype=object), scalar)
    if target == BLOB:
        vals = [(s.value or "").encode() if s.type in (STRING, SYMBOL) else (s.value or b"")
                for s in ([v] if scalar else _scalars(v))]
        return make(BLOB, np.array(vals, dtype=object)[0] if scalar else np.array(vals, dtype=object), scalar)
    if src in (STRING, SYMBOL):
        items = [v] if scalar else _scalars(v)
        if target in DECIMALS:
            parsed = [_parse_decimal(s.value or "", scale) for s in items]
            data = np.array([null_of(target) if p is None else p for p in parsed],
                            dtype=STORAGE_DTYPE.get(target, object))
            return make(target, data if not scalar else data[0], scalar, scale)
        parsed = [parse_number_or_temporal(s.value or "", target) for s in items]
        data = np.array([null_of(target) if p is None else p for p in parsed])
        return make(target, data if not scalar else data[0], scalar)
    if target in DECIMALS and (src in DECIMALS or src in INTEGRAL):
        return _exact_decimal(v, target, scale, mask, scalar)
    if target in (DECIMAL32, DECIMAL64, DECIMAL128):
        arr = as_array(v).astype(np.float64)
        raw = np.round(arr * 10**scale)
        data = np.array([null_of(target) if m else int(x) for x, m in zip(np.atleast_1d(raw), np.atleast_1d(mask))],
                        dtype=STORAGE_DTYPE.get(target, object))
        return make(target, data[0] if scalar else data, scalar, scale)
    if src in (DECIMAL32, DECIMAL64, DECIMAL128):
        arr = np.array([np.nan if m else int(x) / 10**v.scale for x, m in
                        zip(np.atleast_1d(as_array(v)), np.atleast_1d(mask))])
        return cast(make(DOUBLE, arr[0] if scalar else arr, scalar), target)
    if target in TEMPORAL:
        if src in TEMPORAL:
            r = from_ns(to_ns(v), target)
        elif src in INTEGRAL or src in FLOATING:
            r = as_array(v).astype(np.int64) if src in INTEGRAL else np.nan_to_num(as_array(v)).astype(np.int64)
        else:
            raise ScriptError(f"Can't convert {_tn(src)} to {_tn(target)}")
        r = np.where(mask, null_of(target), r)
        return make(target, r, scalar)
    if target in NUMERIC:
        if src not in NUMERIC and src not in TEMPORAL:
            raise ScriptError(f"Can't convert {_tn(src)} to {_tn(target)}")
        arr = as_array(v)
        if target in FLOATING:
            r = np.where(mask, np.nan, arr.astype(np.float64))
        elif target == BOOL:
            r = np.where(mask, null_of(BOOL), (arr != 0).astype(np.int64))
        else:
            info = np.iinfo(STORAGE_DTYPE[target])
            vals = np.nan_to_num(arr.astype(np.float64)) if src in FLOATING else arr.astype(np.int64)
            if src in FLOATING:
                vals = np.round(vals)
            r = np.where(mask | (vals < info.min) | (vals > info.max), null_of(target), vals)
        return make(target, r, scalar)
    raise ScriptError(f"Can't convert {_tn(src)} to {_tn(target)}")


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


def _parse_decimal(text: str, scale: int):
    """The raw value of a decimal string at `scale` (digits beyond it rounded half up); None if invalid."""
    try:
        d = decimal.Decimal(text.strip())
    except decimal.InvalidOperation:
        return None
    if not d.is_finite():
        return None
    return int((d.scaleb(scale)).to_integral_value(rounding=decimal.ROUND_HALF_UP))


def make_pair(a, b):
    if not (isinstance(a, Scalar) and isinstance(b, Scalar)):
        raise ScriptError("A pair needs two scalars")
    t = a.type if a.type != VOID else b.type
    if a.type != b.type and VOID not in (a.type, b.type):
        if a.type in NUMERIC and b.type in NUMERIC:
            t = max(a.type, b.type, key=lambda x: RANK[x])
    v = vector_of([a, b]) if t != VOID else Vector(VOID, None, length_=2)
    if v.type != t and v.type != ANY:
        v = cast(v, t)
    return Vector(v.type, v.data, v.scale, form=PAIR, length_=v.length_)
