"""Evaluates the parsed script against a SessionContext. Operators are built-ins (registry)."""
from __future__ import annotations

import inspect
import sys
from collections import defaultdict

import numpy as np

from ..model.values import (ANY, ARRAY_BASE, BOOL, FUNCTIONDEF, INT, PAIR, STRING, SYMBOL,
                            TYPE_NAMES, VOID, ArrayVector, Dictionary, Matrix, Scalar, Table, Value, Vector)
from . import nodes
from .lexer import syntax_error
from .parser import parse, parse_expression
from .dfs import MetaCode, drop_statement
from .sql import run_sql
from .registry import BUILTINS, Builtin, lookup
from ..errors import ScriptError
from ..model.sizes import check_value_size
from .builtins.arrays import ARRAY_ELEMENT_TYPES
from .builtins.casts import ScaledType, cast
from .builtins.forms import dict_set, make_pair
from .builtins.tables import keyed, set_column, table_from_columns
from ..model.columns import (INTEGRAL, S, element, scalar_storage, table_rows, take_rows, truthy, vector_of,
                             writable_data)

MAX_DEPTH = 200
# Each level of a user function costs the interpreter a few dozen Python frames, and each bracket
# of a nested expression about fifteen while parsing: Python's default limit (1000) would refuse
# legal scripts long before MAX_DEPTH. Pure-Python frames take no C stack on 3.11+, so this room
# is safe in the server's threads.
PYTHON_FRAMES = 50 * MAX_DEPTH
if sys.getrecursionlimit() < PYTHON_FRAMES:
    sys.setrecursionlimit(PYTHON_FRAMES)
# `INT[]`, `DECIMAL64[]` ... in scripts: the array type ids (table(1:0, `a, [INT[]]), array(INT[], 0)).
ARRAY_TYPE_IDS = {TYPE_NAMES[t]: t + ARRAY_BASE for t in ARRAY_ELEMENT_TYPES}


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
    program = parse(text)
    return Interpreter(ctx).run(program)


def call_function(ctx, name, args):
    interp = Interpreter(ctx)
    if name in ctx.functions:
        fn = ctx.functions[name]
    elif name in BUILTINS:
        fn = BuiltinRef(BUILTINS[name])
    else:
        try:
            fn = interp.eval(parse_expression(name))
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
        self.constants = {}        # id(node) -> (node, value): vectors of literals, built once per script

    # -- program -----------------------------------------------------------------------------
    def run(self, program):
        result = None
        for stmt in program:
            result = self.exec(stmt)
        return result

    def exec(self, stmt):
        return EXEC[stmt.__class__](self, stmt)

    def exec_line(self, stmt: nodes.Line):
        self.line = stmt.number
        return self.exec(stmt.stmt)

    def exec_expr(self, stmt: nodes.ExprStmt):
        return self.eval(stmt.expr)

    def exec_assign(self, stmt: nodes.Assign):
        targets = stmt.targets
        values = [self.eval(e) for e in stmt.values]
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

    def exec_set_item(self, stmt: nodes.SetItem):
        return self.set_item(stmt.target, self.eval(stmt.value))

    def exec_def(self, stmt: nodes.FunctionDef):
        self.ctx.functions[stmt.name] = FunctionValue(stmt.name, stmt.params, stmt.body)
        return None

    def exec_block(self, stmt: nodes.Block):
        result = None
        for s in stmt.stmts:
            result = self.exec(s)
        return result

    def exec_if(self, stmt: nodes.If):
        if truthy(self.eval(stmt.cond)):
            self.exec(stmt.body)
        elif stmt.other is not None:
            self.exec(stmt.other)
        return None

    def loop_pass(self, body) -> bool:
        """One pass of a loop body; False when it breaks out of the loop."""
        self.ctx.check_cancelled()
        try:
            self.exec(body)
        except _Break:
            return False
        except _Continue:
            pass
        return True

    def exec_for(self, stmt: nodes.For):
        for item in self.iterate(self.eval(stmt.seq)):
            self.assign(stmt.var, item)
            if not self.loop_pass(stmt.body):
                break
        return None

    def exec_while(self, stmt: nodes.While):
        while truthy(self.eval(stmt.cond)):
            if not self.loop_pass(stmt.body):
                break
        return None

    def exec_do_while(self, stmt: nodes.DoWhile):
        while self.loop_pass(stmt.body) and truthy(self.eval(stmt.cond)):
            pass
        return None

    def exec_return(self, stmt: nodes.Return):
        raise _Return(None if stmt.value is None else self.eval(stmt.value))

    def exec_break(self, stmt):
        raise _Break()

    def exec_continue(self, stmt):
        raise _Continue()

    def exec_share(self, stmt: nodes.Share):
        value = self.eval(stmt.value)
        if not isinstance(value, Table):
            raise ScriptError("Only a table can be shared")
        if self.ctx.server is not None:
            self.ctx.server.share(stmt.name, value, self.ctx.user)
        else:
            self.ctx.variables[stmt.name] = value
        return None

    def exec_undef_all(self, stmt):
        self.ctx.variables.clear()
        self.ctx.functions.clear()
        return None

    def exec_void(self, stmt):
        return None

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

    def variable(self, name):
        """The value of a local, session or shared variable; None when no variable has the name."""
        if self.frames and name in self.frames[-1]:
            return self.frames[-1][name]
        if name in self.ctx.variables:
            return self.ctx.variables[name]
        return self.ctx.lookup_shared(name)

    def lookup_var(self, name):
        value = self.variable(name)
        if value is not None:
            return value
        if name in self.ctx.functions:
            return self.ctx.functions[name]
        if name in BUILTINS:
            b = BUILTINS[name]
            if b.min_args == 0 and getattr(b.fn, "is_constant", False):
                return b.fn(self.ctx)
            return BuiltinRef(b)
        raise syntax_error(self.line, f"Cannot recognize the token {name}")

    def script_function(self, name):
        """A function named in the script (f(x), f{x}): the DolphinDB parser refuses an unknown
        name as a token; Python syntax keeps the function-name error."""
        try:
            return self.resolve_function(name)
        except ScriptError:
            if self.ctx.python_syntax:
                raise
            raise syntax_error(self.line, f"Cannot recognize the token {name}") from None

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
        return EVAL[e.__class__](self, e)

    def eval_literal(self, e: nodes.Literal):
        return Scalar(e.type, e.value, e.scale)

    def eval_var(self, e: nodes.Var):
        return self.lookup_var(e.name)

    def eval_binary(self, e: nodes.Binary):
        a = self.eval(e.left)
        b = self.eval(e.right)
        if e.op == "pair":
            return make_pair(a, b)
        return lookup(e.op).fn(self.ctx, a, b)

    def eval_call(self, e: nodes.Call):
        fexpr, arg_exprs = e.fn, e.args
        if isinstance(fexpr, nodes.Var):
            lead = TABLE_BUILDERS.get(fexpr.name)
            if lead is not None and not _is_schema_form(arg_exprs[lead:]):
                named = []
                for i, a in enumerate(arg_exprs[lead:]):
                    name = a.name if isinstance(a, (nodes.Alias, nodes.Var)) else f"col{i}"
                    named.append((name, self.eval(a)))
                t = table_from_columns(self.ctx, named)
                return keyed(t, self.eval(arg_exprs[0])) if lead else t
            fn = self.script_function(fexpr.name)
        else:
            fn = self.eval(fexpr)
        args, kwargs = self.eval_args(arg_exprs)
        return apply(self.ctx, fn, args, self, kwargs)

    def eval_partial(self, e: nodes.PartialApp):
        fn = self.script_function(e.fn.name) if isinstance(e.fn, nodes.Var) else self.eval(e.fn)
        args, kwargs = self.eval_args([EMPTY if a is None else a for a in e.parts])
        return Partial(fn, args, kwargs)

    def eval_lambda(self, e: nodes.Lambda):
        return FunctionValue(None, e.params, e.body)

    def eval_vector(self, e: nodes.VectorLit):
        if not e.items:                 # []: an empty tuple, so appending a vector adds one element
            return Vector(ANY, [])
        return vector_of([self.eval(a) for a in e.items])

    def eval_call_or_index(self, e: nodes.CallOrIndex):
        if self.variable(e.name) is None:
            return self.eval(e.as_call)
        if e.as_index is None:
            raise ScriptError(f"Invalid index of {e.name}")
        return self.eval(e.as_index)

    def eval_tuple(self, e: nodes.TupleLit):
        return Vector(ANY, [self.eval(a) for a in e.items])

    def eval_space_vector(self, e: nodes.SpaceVector):
        """`1 2 3`: a loop evaluating it again gets a copy of the vector built the first time."""
        hit = self.constants.get(id(e))
        if hit is None or hit[0] is not e:
            value = vector_of([self.eval(x) for x in e.items])
            if not (isinstance(value.data, np.ndarray) and all(type(x) is nodes.Literal for x in e.items)):
                return value
            hit = self.constants[id(e)] = (e, value)
        v = hit[1]
        return Vector(v.type, v.data.copy(), v.scale)

    def eval_symbols(self, e: nodes.Symbols):
        if len(e.names) == 1:
            return S(STRING, e.names[0])
        return Vector(STRING, np.array(e.names, dtype=object))

    def eval_index(self, e: nodes.Index):
        if e.index is None:
            if isinstance(e.obj, nodes.Var) and e.obj.name in ARRAY_TYPE_IDS:   # INT[] ...
                return Scalar(INT, ARRAY_TYPE_IDS[e.obj.name])
            fn = e.obj.fn if isinstance(e.obj, nodes.Call) else None
            if isinstance(fn, nodes.Var) and fn.name in ARRAY_TYPE_IDS:        # DECIMAL64(10)[]
                return ScaledType(INT, ARRAY_TYPE_IDS[fn.name], self.eval(e.obj).scale)
        return self.index(self.eval(e.obj), None if e.index is None else self.eval(e.index))

    def eval_member(self, e: nodes.Member):
        return member(self.eval(e.obj), e.name)

    def eval_alias(self, e: nodes.Alias):
        return self.eval(e.expr)

    def eval_sql(self, e):
        return run_sql(self, e)

    def eval_drop(self, e: nodes.Drop):
        return drop_statement(self, e)

    def eval_meta(self, e: nodes.Meta):
        return MetaCode(e.body)

    def eval_empty(self, e):
        return Scalar(VOID, None, 1)

    def eval_rows_columns(self, e: nodes.RowsColumns):
        obj = self.eval(e.obj)
        rows = None if e.rows is None else self.eval(e.rows)
        columns = None if e.columns is None else self.eval(e.columns)
        if isinstance(obj, Matrix):
            nrows, ncols = obj.data.shape
            r = np.arange(nrows) if rows is None else _in_range(row_selector(rows, nrows), nrows)
            c = np.arange(ncols) if columns is None else _in_range(row_selector(columns, ncols), ncols)
            if isinstance(rows, Scalar) and isinstance(columns, Scalar):
                return element(Vector(obj.type, obj.data[:, c[0]], obj.scale), int(r[0]))
            return Matrix(obj.type, obj.data[np.ix_(r, c)], obj.scale)
        if columns is not None:
            raise ScriptError("Only a matrix can be indexed by rows and columns")
        if rows is None:
            return obj
        if isinstance(obj, Table):
            return table_rows(obj, _in_range(row_selector(rows, obj.rows), obj.rows))
        if isinstance(obj, (Vector, ArrayVector)):
            return take_rows(obj, _in_range(row_selector(rows, len(obj)), len(obj)))
        raise ScriptError("The object can't be indexed")

    def eval_star(self, e):
        raise ScriptError("* is only allowed in select and count(*)")

    def eval_args(self, arg_exprs):
        """Positional values (None for an empty argument) and keyword values of a call."""
        args, kwargs = [], {}
        for a in arg_exprs:
            handler = PLAIN_ARGS.get(a.__class__)
            if handler is not None and not kwargs:       # (most arguments: no keyword, hole or *)
                args.append(handler(self, a))
            elif isinstance(a, nodes.KwArg):
                kwargs[a.name] = self.eval(a.value)
            elif kwargs:
                raise ScriptError("A positional argument can't follow a keyword argument.")
            else:
                args.append(None if isinstance(a, nodes.Empty) else self.eval_arg(a))
        return args, kwargs

    def eval_arg(self, a):
        if isinstance(a, nodes.Star):   # count(*) inside a query counts the rows of the current table
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
        container = self.eval(target.obj)
        if isinstance(target, nodes.Member):
            if not isinstance(container, Table):
                raise ScriptError("Only table columns can be assigned with '.'")
            set_column(container, target.name, value)
            return None
        idx = self.eval(target.index)
        if isinstance(container, Dictionary):
            dict_set(container, idx, value)
            return None
        if isinstance(container, Vector) and container.data is not None:
            sel = row_selector(idx, len(container))
            v = cast(value, container.type) if value.type != container.type else value
            writable_data(container)[sel] = v.data if isinstance(v, Vector) else _storage(v)
            return None
        raise ScriptError("The object doesn't support item assignment")


# the built-ins taking columns as `v as name` (their names come from the expressions), and the
# number of arguments before the columns (the key column names)
TABLE_BUILDERS = {"table": 0, "streamTable": 0, "keyedTable": 1, "indexedTable": 1}


def _is_schema_form(args):
    """table(capacity:size, names, types) as opposed to table(col1, col2 as name ...)."""
    return len(args) == 3 and isinstance(args[0], nodes.Binary) and args[0].op == "pair"


def _in_range(selector, n):
    """An index array or boolean mask of x[rows, columns], refused when an index is outside 0..n-1."""
    if selector.dtype != bool and ((selector < 0) | (selector >= n)).any():
        raise ScriptError("Index out of range")
    return selector


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


EMPTY = nodes.Empty()


def _unsupported(kind):
    def fail(interp, node):
        raise ScriptError(f"Unsupported {kind} {type(node).__name__}")
    return fail


# Node class -> interpreter method. Another front end adds its own expression nodes with
# register_expression (the Python parser's Py* nodes): a function defined in Python syntax stays
# callable from DolphinDB scripts and `function` requests, so they share one interpreter.
EXEC = defaultdict(lambda: _unsupported("statement"), {
    nodes.Line: Interpreter.exec_line, nodes.ExprStmt: Interpreter.exec_expr, nodes.Assign: Interpreter.exec_assign,
    nodes.SetItem: Interpreter.exec_set_item, nodes.FunctionDef: Interpreter.exec_def,
    nodes.Block: Interpreter.exec_block, nodes.If: Interpreter.exec_if, nodes.For: Interpreter.exec_for,
    nodes.While: Interpreter.exec_while, nodes.DoWhile: Interpreter.exec_do_while,
    nodes.Return: Interpreter.exec_return, nodes.Break: Interpreter.exec_break,
    nodes.Continue: Interpreter.exec_continue, nodes.Share: Interpreter.exec_share,
    nodes.UndefAll: Interpreter.exec_undef_all, nodes.Void: Interpreter.exec_void})
EVAL = defaultdict(lambda: _unsupported("expression"), {
    nodes.Literal: Interpreter.eval_literal, nodes.Var: Interpreter.eval_var, nodes.Binary: Interpreter.eval_binary,
    nodes.Call: Interpreter.eval_call, nodes.PartialApp: Interpreter.eval_partial,
    nodes.Lambda: Interpreter.eval_lambda, nodes.VectorLit: Interpreter.eval_vector,
    nodes.TupleLit: Interpreter.eval_tuple, nodes.SpaceVector: Interpreter.eval_space_vector,
    nodes.Symbols: Interpreter.eval_symbols, nodes.Index: Interpreter.eval_index,
    nodes.Member: Interpreter.eval_member, nodes.Alias: Interpreter.eval_alias,
    nodes.CallOrIndex: Interpreter.eval_call_or_index,
    nodes.Select: Interpreter.eval_sql, nodes.Update: Interpreter.eval_sql, nodes.Delete: Interpreter.eval_sql,
    nodes.Insert: Interpreter.eval_sql, nodes.Drop: Interpreter.eval_drop, nodes.Meta: Interpreter.eval_meta,
    nodes.Star: Interpreter.eval_star, nodes.Empty: Interpreter.eval_empty,
    nodes.RowsColumns: Interpreter.eval_rows_columns})


# The expressions an argument list evaluates as they are (not a keyword, an empty argument or *).
PLAIN_ARGS = {cls: fn for cls, fn in EVAL.items() if cls not in (nodes.KwArg, nodes.Empty, nodes.Star)}


def register_expression(node_class, handler):
    """handler(interpreter, node) evaluates node_class."""
    EVAL[node_class] = handler
    PLAIN_ARGS[node_class] = handler

