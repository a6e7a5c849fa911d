"""Evaluates the parsed script against a SessionContext. Operators are built-ins (registry)."""
from __future__ import annotations

import inspect

import numpy as np

from ..model.values import (ANY, ARRAY_BASE, BOOL, DOUBLE, FLOAT, FUNCTIONDEF, INT, LONG, PAIR, STRING, SYMBOL,
                            TYPE_NAMES, VOID, ArrayVector, Dictionary, Matrix, Scalar, Table, Value, Vector)
from . import script
from .dfs import MetaCode, drop_statement
from .sql import run_sql
from .registry import BUILTINS, Builtin, lookup
from ..errors import ScriptError
from ..model.sizes import check_value_size
from .builtins.arrays import ARRAY_ELEMENT_TYPES
from .builtins.casts import cast
from .builtins.forms import dict_set, make_pair
from .builtins.tables import keyed, set_column, table_from_columns
from ..model.columns import INTEGRAL, S, element, scalar_storage, table_rows, take_rows, truthy, vector_of

MAX_DEPTH = 200
# `INT[]`, `DECIMAL64[]` ... in scripts: the array type ids (table(1:0, `a, [INT[]]), array(INT[], 0)).
ARRAY_TYPE_IDS = {TYPE_NAMES[t]: t + ARRAY_BASE for t in ARRAY_ELEMENT_TYPES}

# Expression nodes another front end adds, kind -> handler(interpreter, node): the Python parser's
# py_* nodes (pyparser.py). They live here, not in a subclass, because a function defined in
# Python syntax stays callable from DolphinDB scripts and `function` requests.
EXTENSIONS = {}


class FunctionValue(Value):
    """A user-defined function or lambda (a FUNCTIONDEF when returned to a client)."""
    form = 0
    type = FUNCTIONDEF

    def __init__(self, name, params, body):
        self.name, self.params, self.body = name, params, body
        self.value, self.scale = name or "lambda", 0


class BuiltinRef(Value):
    form = 0
    type = FUNCTIONDEF

    def __init__(self, builtin: Builtin):
        self.builtin = builtin
        self.value, self.scale = builtin.name, 0


class Partial(Value):
    form = 0
    type = FUNCTIONDEF

    def __init__(self, fn, args, kwargs=None):
        self.fn, self.args = fn, args            # args: Values, or None for a hole
        self.kwargs = kwargs or {}
        self.value, self.scale = "partial", 0


class _Return(Exception):
    def __init__(self, value):
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def run_script(ctx, text):
    ctx.check_cancelled()
    program = script.parse(text)
    return Interpreter(ctx).run(program)


def call_function(ctx, name, args):
    interp = Interpreter(ctx)
    if name in ctx.functions:
        fn = ctx.functions[name]
    elif name in BUILTINS:
        fn = BuiltinRef(BUILTINS[name])
    else:
        try:
            fn = interp.eval(script.parse_expression(name))
        except ScriptError:
            raise ScriptError(f"Can't recognize function name {name}") from None
    return apply(ctx, fn, list(args), interp)


def apply(ctx, fn, args, interp=None, kwargs=None):
    """Calls a function value (user function, built-in, lambda, partial) with evaluated args;
    an empty argument (`f(a, , b)`) is None, `name=value` arguments arrive in kwargs."""
    interp = interp or Interpreter(ctx)
    kwargs = kwargs or {}
    if isinstance(fn, Scalar) and fn.type in (STRING, SYMBOL):
        fn = interp.resolve_function(fn.value)
    if isinstance(fn, BuiltinRef):
        b = fn.builtin
        while args and args[-1] is None:      # trailing empty arguments take the defaults
            args = args[:-1]
        b.check_arity(len(args) + len(kwargs))
        if kwargs:
            params = inspect.signature(b.fn).parameters
            for k in kwargs:
                if k not in params or k == "ctx":
                    raise ScriptError(f"The function [{b.name}] doesn't have a parameter named '{k}'.")
        return b.fn(ctx, *args, **kwargs)
    if isinstance(fn, Partial):
        filled, it = [], iter(args)
        for a in fn.args:
            filled.append(next(it, None) if a is None else a)
        filled.extend(it)
        while filled and filled[-1] is None:
            filled.pop()
        return apply(ctx, fn.fn, filled, interp, {**fn.kwargs, **kwargs})
    if isinstance(fn, FunctionValue):
        if kwargs:
            args = list(args) + [None] * (len(fn.params) - len(args))
            for k, v in kwargs.items():
                if k not in fn.params:
                    raise ScriptError(f"The function [{fn.name}] doesn't have a parameter named '{k}'.")
                args[fn.params.index(k)] = v
        if len(args) > len(fn.params):
            raise ScriptError(f"The function [{fn.name}] expects {len(fn.params)} argument(s), "
                              f"but the actual number of arguments is: {len(args)}")
        return interp.call_user(fn, args)
    raise ScriptError("The object is not a function")


class Interpreter:
    def __init__(self, ctx):
        self.ctx = ctx
        self.frames = []           # local scopes of user functions
        self.line = 1

    # -- program -----------------------------------------------------------------------------
    def run(self, program):
        result = None
        for stmt in program:
            result = self.exec(stmt)
        return result

    def exec(self, stmt):
        kind = stmt[0]
        if kind == "at":
            self.line = stmt[1]
            return self.exec(stmt[2])
        if kind == "expr":
            return self.eval(stmt[1])
        if kind == "assign":
            targets, exprs = stmt[1], stmt[2]
            values = [self.eval(e) for e in exprs]
            if len(targets) > 1 and len(values) == 1:
                v = values[0]
                if not (isinstance(v, Vector) and v.type == ANY and len(v) == len(targets)):
                    if isinstance(v, Vector) and len(v) == len(targets):
                        values = [element(v, i) for i in range(len(v))]
                    else:
                        raise ScriptError("The number of values doesn't match the number of variables")
                else:
                    values = list(v.data)
            if len(values) != len(targets):
                raise ScriptError("The number of values doesn't match the number of variables")
            for name, v in zip(targets, values):
                self.assign(name, v)
            return None
        if kind == "setitem":
            return self.set_item(stmt[1], self.eval(stmt[2]))
        if kind == "def":
            self.ctx.functions[stmt[1]] = FunctionValue(stmt[1], stmt[2], stmt[3])
            return None
        if kind == "block":
            result = None
            for s in stmt[1]:
                result = self.exec(s)
            return result
        if kind == "if":
            if truthy(self.eval(stmt[1])):
                self.exec(stmt[2])
            elif stmt[3] is not None:
                self.exec(stmt[3])
            return None
        if kind == "for":
            seq = self.eval(stmt[2])
            items = self.iterate(seq)
            for item in items:
                self.ctx.check_cancelled()
                self.assign(stmt[1], item)
                try:
                    self.exec(stmt[3])
                except _Break:
                    break
                except _Continue:
                    continue
            return None
        if kind == "while":
            while truthy(self.eval(stmt[1])):
                self.ctx.check_cancelled()
                try:
                    self.exec(stmt[2])
                except _Break:
                    break
                except _Continue:
                    continue
            return None
        if kind == "do":
            while True:
                self.ctx.check_cancelled()
                try:
                    self.exec(stmt[1])
                except _Break:
                    break
                except _Continue:
                    pass
                if not truthy(self.eval(stmt[2])):
                    break
            return None
        if kind == "return":
            raise _Return(None if stmt[1] is None else self.eval(stmt[1]))
        if kind == "break":
            raise _Break()
        if kind == "continue":
            raise _Continue()
        if kind == "share":
            value = self.eval(stmt[1])
            if not isinstance(value, Table):
                raise ScriptError("Only a table can be shared")
            if self.ctx.server is not None:
                self.ctx.server.share(stmt[2], value, self.ctx.user)
            else:
                self.ctx.variables[stmt[2]] = value
            return None
        if kind == "undefall":
            self.ctx.variables.clear()
            self.ctx.functions.clear()
            return None
        if kind == "void":
            return None
        raise ScriptError(f"Unsupported statement {kind}")

    def iterate(self, seq):
        if isinstance(seq, Scalar):
            return [seq]
        if isinstance(seq, Vector) and seq.form == PAIR and seq.type in INTEGRAL:   # for (i in 0:n): 0 .. n-1
            return [Scalar(seq.type, i) for i in range(int(seq.data[0]), int(seq.data[1]))]
        if isinstance(seq, (Vector, ArrayVector)):
            return [element(seq, i) for i in range(len(seq))]
        if isinstance(seq, Dictionary):
            return [element(seq.keys, i) for i in range(len(seq.keys))]
        raise ScriptError("The object can't be iterated")

    # -- variables ---------------------------------------------------------------------------
    def assign(self, name, value):
        if self.ctx.max_value_bytes:
            check_value_size(value, self.ctx.max_value_bytes)
        if self.frames:
            self.frames[-1][name] = value
        else:
            self.ctx.variables[name] = value

    def lookup_var(self, name):
        if self.frames and name in self.frames[-1]:
            return self.frames[-1][name]
        if name in self.ctx.variables:
            return self.ctx.variables[name]
        shared = self.ctx.lookup_shared(name)
        if shared is not None:
            return shared
        if name in self.ctx.functions:
            return self.ctx.functions[name]
        if name in BUILTINS:
            b = BUILTINS[name]
            if b.min_args == 0 and b.max_args == 0 and getattr(b.fn, "is_constant", False):
                return b.fn(self.ctx)
            return BuiltinRef(b)
        raise script.syntax_error(self.line, f"Cannot recognize the token {name}")

    def resolve_function(self, name):
        if self.frames and name in self.frames[-1] and not isinstance(self.frames[-1][name], (Scalar, Vector, Table)):
            return self.frames[-1][name]
        if name in self.ctx.functions:
            return self.ctx.functions[name]
        if name in BUILTINS:
            return BuiltinRef(BUILTINS[name])
        if self.frames and name in self.frames[-1]:
            return self.frames[-1][name]
        if name in self.ctx.variables and isinstance(self.ctx.variables[name], (FunctionValue, Partial, BuiltinRef)):
            return self.ctx.variables[name]
        raise ScriptError(f"Can't recognize function name {name}")

    def call_user(self, fn: FunctionValue, args):
        if len(self.frames) > MAX_DEPTH:
            raise ScriptError("Out of recursion depth.")
        for name, a in zip(fn.params, args):
            if a is None:
                raise ScriptError(f"The argument [{name}] of the function [{fn.name or 'lambda'}] is not specified.")
        frame = dict(zip(fn.params, args))
        self.frames.append(frame)
        try:
            self.exec(fn.body)
        except _Return as r:
            return r.value
        finally:
            self.frames.pop()
        return None

    # -- expressions -------------------------------------------------------------------------
    def eval(self, e):
        kind = e[0]
        if kind == "lit":
            return literal(e)
        if kind == "var":
            return self.lookup_var(e[1])
        if kind == "bin":
            op, left, right = e[1], e[2], e[3]
            a = self.eval(left)
            b = self.eval(right)
            if op == "pair":
                return make_pair(a, b)
            return lookup(op).fn(self.ctx, a, b)
        if kind == "call":
            fexpr, arg_exprs = e[1], e[2]
            lead = TABLE_BUILDERS.get(fexpr[1]) if fexpr[0] == "var" else None
            if lead is not None and not _is_schema_form(arg_exprs[lead:]):
                named = []
                for i, a in enumerate(arg_exprs[lead:]):
                    name = a[2] if a[0] == "alias" else a[1] if a[0] == "var" else f"col{i}"
                    named.append((name, self.eval(a)))
                t = table_from_columns(self.ctx, named)
                return keyed(t, self.eval(arg_exprs[0])) if lead else t
            if fexpr[0] == "var":
                fn = self.resolve_function(fexpr[1])
            else:
                fn = self.eval(fexpr)
            args, kwargs = self.eval_args(arg_exprs)
            return apply(self.ctx, fn, args, self, kwargs)
        if kind == "partial":
            fn = self.resolve_function(e[1][1]) if e[1][0] == "var" else self.eval(e[1])
            args, kwargs = self.eval_args([("empty",) if a is None else a for a in e[2]])
            return Partial(fn, args, kwargs)
        if kind == "lambda":
            return FunctionValue(None, e[1], e[2])
        if kind == "vec":
            return vector_of([self.eval(a) for a in e[1]])
        if kind == "tuple":
            return Vector(ANY, [self.eval(a) for a in e[1]])
        if kind == "numvec":
            return vector_of([literal(x) for x in e[1]])
        if kind == "symbols":
            if len(e[1]) == 1:
                return S(STRING, e[1][0])
            return Vector(STRING, np.array(e[1], dtype=object))
        if kind == "index":
            if e[2] is None and e[1][0] == "var" and e[1][1] in ARRAY_TYPE_IDS:   # INT[], DECIMAL64[] ...
                return Scalar(INT, ARRAY_TYPE_IDS[e[1][1]])
            return self.index(self.eval(e[1]), None if e[2] is None else self.eval(e[2]))
        if kind == "member":
            return member(self.eval(e[1]), e[2])
        if kind == "alias":
            return self.eval(e[1])
        if kind in ("select", "update", "delete", "insert"):
            return run_sql(self, e)
        if kind == "drop":
            return drop_statement(self, e)
        if kind == "meta":
            return MetaCode(e[1])
        if kind == "star":
            raise ScriptError("* is only allowed in select and count(*)")
        handler = EXTENSIONS.get(kind)
        if handler is not None:
            return handler(self, e)
        raise ScriptError(f"Unsupported expression {kind}")

    def eval_args(self, arg_exprs):
        """Positional values (None for an empty argument) and keyword values of a call."""
        args, kwargs = [], {}
        for a in arg_exprs:
            if a[0] == "kwarg":
                kwargs[a[1]] = self.eval(a[2])
            elif kwargs:
                raise ScriptError("A positional argument can't follow a keyword argument.")
            else:
                args.append(None if a[0] == "empty" else self.eval_arg(a))
        return args, kwargs

    def eval_arg(self, a):
        if a[0] == "star":   # count(*) inside a query counts the rows of the current table
            frame = self.frames[-1] if self.frames else None
            table = getattr(frame, "table", None)
            return table if table is not None else S(VOID, None)
        return self.eval(a)

    def index(self, obj, idx):
        if idx is None:
            return obj
        if isinstance(obj, Table):
            if isinstance(idx, Scalar) and idx.type in (STRING, SYMBOL):
                return member(obj, idx.value)
            return table_rows(obj, row_selector(idx, obj.rows))
        if isinstance(obj, Dictionary):
            return dict_get(obj, idx)
        if isinstance(obj, Matrix):
            if isinstance(idx, Scalar):
                return Vector(obj.type, obj.data[:, idx.value])
            raise ScriptError("Unsupported matrix index")
        if isinstance(obj, (Vector, ArrayVector)):
            n = len(obj)
            if isinstance(idx, Scalar):
                i = idx.value
                if i is None or not -n <= i < n:
                    return S(obj.type if obj.type != ANY else VOID, None)
                return element(obj, i if i >= 0 else n + i)
            return take_rows(obj, row_selector(idx, n))
        raise ScriptError("The object can't be indexed")

    def set_item(self, target, value):
        container = self.eval(target[1])
        if target[0] == "member":
            if not isinstance(container, Table):
                raise ScriptError("Only table columns can be assigned with '.'")
            set_column(container, target[2], value)
            return None
        idx = self.eval(target[2])
        if isinstance(container, Dictionary):
            dict_set(container, idx, value)
            return None
        if isinstance(container, Vector) and container.data is not None:
            sel = row_selector(idx, len(container))
            v = cast(value, container.type) if value.type != container.type else value
            container.data[sel] = v.data if isinstance(v, Vector) else _storage(v)
            return None
        raise ScriptError("The object doesn't support item assignment")


# the built-ins taking columns as `v as name` (their names come from the expressions), and the
# number of arguments before the columns (the key column names)
TABLE_BUILDERS = {"table": 0, "streamTable": 0, "keyedTable": 1, "indexedTable": 1}


def _is_schema_form(args):
    """table(capacity:size, names, types) as opposed to table(col1, col2 as name ...)."""
    return len(args) == 3 and args[0][0] == "bin" and args[0][1] == "pair"


def _storage(s):
    return scalar_storage(s)


def row_selector(idx, n):
    if isinstance(idx, Vector) and idx.form == PAIR:
        lo, hi = int(idx.data[0]), int(idx.data[1])
        return np.arange(max(0, lo), min(n, hi))
    if isinstance(idx, Vector) and idx.type == BOOL:
        if len(idx) != n:
            raise ScriptError("The length of the boolean index must match")
        return idx.data == 1
    if isinstance(idx, Vector) and idx.data is not None:
        arr = np.asarray(idx.data).astype(np.int64)
        if ((arr < 0) | (arr >= n)).any():
            raise ScriptError("Index out of range")
        return arr
    if isinstance(idx, Scalar) and idx.value is not None:
        return np.array([idx.value], dtype=np.int64)
    raise ScriptError("Invalid index")


def member(obj, name):
    if isinstance(obj, Table):
        if name not in obj.columns:
            raise ScriptError(f"Unrecognized column name {name}")
        return obj.columns[name]
    if isinstance(obj, Dictionary):
        return dict_get(obj, S(STRING, name))
    raise ScriptError(f"Cannot access member {name}")


def dict_get(d: Dictionary, key):
    keys = list(d.keys.data)
    k = key.value
    if d.keys.type in (STRING, SYMBOL):
        k = k or ""
    for i, x in enumerate(keys):
        if x == k:
            return element(d.values, i)
    return S(d.values.type if d.values.type != ANY else VOID, None)


def literal(e):
    value, kind = e[1], e[2]
    if kind == "int":
        text, suffix = value
        n = int(text)
        t = {"h": 3, "l": LONG, "c": 2}.get(suffix, INT if -2**31 < n < 2**31 else LONG)
        return S(t, n)
    if kind == "float":
        text, suffix = value
        return S(FLOAT if suffix == "f" else DOUBLE, float(text))
    if kind == "temporal":
        return S(value[0], value[1])
    if kind == "string":
        return S(STRING, value)
    if kind == "bool":
        return S(BOOL, 1 if value else 0)
    if kind == "null":
        return S(VOID, None, 1)
    raise ScriptError("bad literal")

