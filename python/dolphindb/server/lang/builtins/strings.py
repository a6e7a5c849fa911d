"""String built-ins: concat, substr, split, strReplace, startsWith, like, upper/lower/trim,
fromUTF8/toUTF8 ..."""
from __future__ import annotations

import fnmatch

import numpy as np

from ...errors import ScriptError
from ...model.values import BOOL, CHAR, INT, STRING, SYMBOL, Scalar, Vector
from ..registry import builtin
from ...model.columns import S, V, make, to_int, to_str


def _separator(sep):
    """A separator argument: a STRING or a CHAR ('-')."""
    if sep.type == CHAR:
        return "" if sep.value is None else chr(sep.value)
    return sep.value or ""


@builtin("concat", 1, 2)
def concat(ctx, x, sep=None):
    if sep is not None and isinstance(x, Vector):
        return S(STRING, _separator(sep).join(str(s) for s in x.data))
    if sep is None and isinstance(x, Vector):
        return S(STRING, "".join(str(s) for s in x.data))
    return S(STRING, (x.value or "") + ("" if sep is None else _separator(sep)))


def _string_map(name, fn, rt=STRING):
    @builtin(name, 1)
    def f(ctx, x):
        if isinstance(x, Scalar):
            return S(rt, fn(x.value or ""))
        return make(rt, np.array([fn(s) for s in x.data], dtype=object if rt == STRING else None), False)


_string_map("upper", str.upper)
_string_map("lower", str.lower)
_string_map("trim", str.strip)
_string_map("strlen", len, INT)


@builtin("substr", 2, 3)
def substr(ctx, x, start, n=None):
    a = to_int(start)
    f = (lambda s: s[a:a + to_int(n)]) if n is not None else (lambda s: s[a:])
    if isinstance(x, Scalar):
        return S(STRING, f(x.value or ""))
    return make(STRING, np.array([f(s) for s in x.data], dtype=object), False)


@builtin("split", 1, 2)
def split(ctx, x, sep=None):
    d = None if sep is None else _separator(sep)
    return V(STRING, (x.value or "").split(d))


@builtin("strReplace", 3)
def str_replace(ctx, x, a, b):
    f = lambda s: s.replace(a.value, b.value)  # noqa: E731
    if isinstance(x, Scalar):
        return S(STRING, f(x.value or ""))
    return make(STRING, np.array([f(s) for s in x.data], dtype=object), False)


@builtin("startsWith", 2)
def starts_with(ctx, x, p):
    if isinstance(x, Scalar):
        return S(BOOL, int((x.value or "").startswith(p.value)))
    return make(BOOL, np.array([s.startswith(p.value) for s in x.data], dtype=np.int8), False)


@builtin("like", 2)
def like(ctx, x, p):
    pat = p.value.replace("%", "*")
    if isinstance(x, Scalar):
        return S(BOOL, int(fnmatch.fnmatchcase(x.value or "", pat)))
    return make(BOOL, np.array([fnmatch.fnmatchcase(s, pat) for s in x.data], dtype=np.int8), False)


def _recode(name, convert):
    """A built-in re-encoding strings (their bytes: a STRING holds any bytes, see the codec)."""
    @builtin(name, 2)
    def f(ctx, x, encoding):
        codec = to_str(encoding)
        try:
            "".encode(codec)
        except LookupError:
            raise ScriptError(f"Unsupported encoding [{codec}]") from None

        def one(s):
            try:
                return convert(s, codec)
            except UnicodeError:
                raise ScriptError(f"The string can't be converted with the encoding [{codec}]") from None
        if isinstance(x, Scalar) and x.type in (STRING, SYMBOL):
            return S(x.type, None if x.value is None else one(x.value))
        if isinstance(x, Vector) and x.type in (STRING, SYMBOL):
            return make(x.type, np.array([one(s) for s in x.data], dtype=object), False)
        raise ScriptError(f"The first argument of {name} must be a string or a string vector")


# fromUTF8: UTF-8 text to the bytes of `encoding`; toUTF8: the reverse
_recode("fromUTF8", lambda s, codec: s.encode("utf-8", "surrogateescape").decode("utf-8").encode(codec)
        .decode("utf-8", "surrogateescape"))
_recode("toUTF8", lambda s, codec: s.encode("utf-8", "surrogateescape").decode(codec))
