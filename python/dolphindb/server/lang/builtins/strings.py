"""String built-ins: concat, substr, split, strReplace, startsWith, like, upper/lower/trim ..."""
from __future__ import annotations

import fnmatch

import numpy as np

from ...model.values import BOOL, CHAR, INT, STRING, Scalar, Vector
from ..registry import builtin
from ...model.columns import (S, V, make, to_int)


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
