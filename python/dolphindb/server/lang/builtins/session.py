"""Built-ins over the session itself: print output (print, snippet) and its variables (objByName,
defined, undef with VAR / SHARED / DEF)."""
from __future__ import annotations

import numpy as np

from ...errors import ScriptError
from ...model.columns import S, format_value, is_scalar, make, strings_of, to_str
from ...model.values import BOOL, INT, STRING
from ..registry import builtin, constant
from .tables import table_changing


@builtin("print", 1, None)
def print_(ctx, *args):
    ctx.emit(" ".join(format_value(a) for a in args))
    return None


@builtin("snippet", 1)
def snippet(ctx, x):
    """What print shows of x, as a STRING."""
    return S(STRING, format_value(x))


@builtin("objByName", 1, 2)
def obj_by_name(ctx, name, shared=None):
    n = to_str(name)
    if n in ctx.variables:
        return ctx.variables[n]
    t = ctx.lookup_shared(n)
    if t is None:
        raise ScriptError(f"Can't find the object with name {n}")
    return t


@builtin("defined", 1, 2)
def defined(ctx, names, kind=None):
    out = [n in ctx.variables or ctx.lookup_shared(n) is not None for n in strings_of(names)]
    return S(BOOL, int(out[0])) if is_scalar(names) else make(BOOL, np.array(out, dtype=np.int8), False)


@builtin("undef", 1, 2)
def undef(ctx, names, kind=None):
    for n in strings_of(names):
        ctx.variables.pop(n, None)
        ctx.functions.pop(n, None)
        server = getattr(ctx, "server", None)
        if kind is not None and kind.value == 4 and server is not None:   # SHARED
            table_changing(ctx, server.state.get_shared(n))
            server.state.undef_shared(n)
    return None


builtin("VAR", 0)(constant(S(INT, 0)))
builtin("SHARED", 0)(constant(S(INT, 4)))
builtin("DEF", 0)(constant(S(INT, 1)))
