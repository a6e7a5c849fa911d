"""The Python parser (request flag 2048): a Python-syntax script runs on the DolphinDB interpreter.

Python's own ``ast`` module parses the text (nothing is ever compiled to code or evaluated by
Python). ``Translator`` turns the Python syntax tree into the nodes of ``nodes.py``, so the
existing ``Interpreter`` runs it with the same Values, operators, built-ins and session state as
DolphinDB syntax: ``a + b`` becomes ``Binary("add", a, b)``, ``x.sum()`` becomes the DolphinDB
method-call sugar ``sum(x)``. The few constructs whose Python meaning has no DolphinDB node
(short-circuit ``and``/``or``, chained comparisons, ``a if c else b``, ``//``, slices, list
comprehensions) get ``Py*`` nodes, registered with the interpreter and evaluated
by calling the same operator built-ins; a function defined in Python syntax therefore also runs
when DolphinDB syntax or a `function` request calls it. ``len``, ``range`` and ``str`` are the
only Python-only functions (a session's own definitions of those names win).

Anything else (imports, classes, try, with, keyword arguments ...) is a server syntax error
naming the construct, as a real server reports a script it cannot parse.
"""
from __future__ import annotations

import ast

import numpy as np

from ..model.values import BOOL, DOUBLE, INT, LONG, STRING, VOID, ArrayVector, Scalar, Table, Vector
from .evaluator import BuiltinRef, Interpreter, register_expression
from .registry import BUILTINS, Builtin, lookup
from ..errors import ScriptError
from .lexer import syntax_error
from .nodes import (Assign, Binary, Block, Break, Call, Continue, ExprStmt, For, FunctionDef, If, Index, Lambda,
                    Line, Literal, Member, PyBoolOp, PyCompare, PyFloorDiv, PyIfExp, PyListComp, PyName, PySlice,
                    Return, SetItem, TupleLit, Var, VectorLit, While)
from ..model.columns import FLOATING, S, length, make, table_rows, take_rows, to_int, truthy, vector_of

BINARY_OPERATORS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "ratio", ast.Mod: "mod",
                    ast.Pow: "pow", ast.BitAnd: "bitAnd", ast.BitOr: "bitOr", ast.BitXor: "bitXor",
                    ast.LShift: "lshift", ast.RShift: "rshift"}
# what an unsupported node is called in the error line: the Python keyword a user wrote
SYNTAX_NAMES = {"ClassDef": "class", "AsyncFunctionDef": "async def", "With": "with", "AsyncWith": "async with",
                "AsyncFor": "async for", "Try": "try", "TryStar": "try", "Raise": "raise", "Assert": "assert",
                "Delete": "del", "Global": "global", "Nonlocal": "nonlocal", "Match": "match", "Yield": "yield",
                "YieldFrom": "yield from", "Await": "await", "Set": "a set literal", "SetComp": "a set comprehension",
                "DictComp": "a dict comprehension", "GeneratorExp": "a generator expression",
                "NamedExpr": ":=", "Starred": "*", "MatMult": "@", "Invert": "~", "Is": "is", "IsNot": "is not",
                "AnnAssign": "an annotation without a value"}
COMPARISONS = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge",
               ast.In: "in"}


def run_script(ctx, text):
    ctx.check_cancelled()
    return Interpreter(ctx).run(parse(text))


def parse(text: str):
    """Python source -> the statement list of ``parser.parse`` (with ``Py*`` expression nodes)."""
    try:
        module = ast.parse(text, mode="exec")
        return [Translator().statement(s) for s in module.body]
    except SyntaxError as e:
        raise syntax_error(e.lineno or 1, e.msg) from None
    except ValueError as e:                 # a NUL byte in the text (Python 3.11)
        raise syntax_error(1, str(e)) from None
    except (RecursionError, MemoryError):   # Python's own parser on absurdly deep nesting
        raise syntax_error(1, "the script is nested too deeply") from None


# ---- Python-only functions ------------------------------------------------------------------
def _len(ctx, x):
    if isinstance(x, Scalar) and x.type == STRING:
        return S(INT, len(x.value or ""))
    return S(INT, length(x))


def _range(ctx, *args):
    bounds = [to_int(a, "argument of range") for a in args]
    start, stop, step = (0, bounds[0], 1) if len(bounds) == 1 else (*bounds, 1)[:3]
    if step == 0:
        raise ScriptError("range() arg 3 must not be zero")
    wide = any(a.type == LONG for a in args) or not all(-2**31 < b < 2**31 for b in (start, stop))
    return make(LONG if wide else INT, np.arange(start, stop, step, dtype=np.int64 if wide else np.int32), False)


PYTHON_FUNCTIONS = {b.name: b for b in (
    Builtin("len", _len, 1, 1), Builtin("range", _range, 1, 3),
    Builtin("str", lambda ctx, x: BUILTINS["string"].fn(ctx, x), 1, 1))}


def _and_or(interp, e):
    """Python's short-circuit: a scalar that decides the result stops the evaluation; values
    combine as DolphinDB's and/or (element-wise for vectors, BOOL results)."""
    is_and = e.is_and
    op = lookup("and" if is_and else "or")
    result = interp.eval(e.operands[0])
    for operand in e.operands[1:]:
        if isinstance(result, Scalar) and truthy(result) != is_and:
            return S(BOOL, 0 if is_and else 1)
        result = op.fn(interp.ctx, result, interp.eval(operand))
    return result


def _compare(interp, e):
    """a < b < c: each operand evaluated once, results and-ed, stopping at a scalar false."""
    ctx = interp.ctx
    left, result = interp.eval(e.left), None
    for negate, name, right_expr in e.chain:
        right = interp.eval(right_expr)
        step = lookup("isNull").fn(ctx, left) if name == "isNull" else lookup(name).fn(ctx, left, right)
        if negate:
            step = lookup("not").fn(ctx, step)
        result = step if result is None else lookup("and").fn(ctx, result, step)
        if isinstance(result, Scalar) and not truthy(result):
            return result
        left = right
    return result


def _if_expression(interp, e):
    return interp.eval(e.body) if truthy(interp.eval(e.cond)) else interp.eval(e.other)


def _floor_division(interp, e):
    quotient = lookup("div").fn(interp.ctx, interp.eval(e.left), interp.eval(e.right))
    return lookup("floor").fn(interp.ctx, quotient) if quotient.type in FLOATING else quotient


def _slice(interp, e):
    obj = interp.eval(e.obj)
    bounds = slice(*(None if b is None else to_int(interp.eval(b), "slice bound") for b in (e.lower, e.upper, e.step)))
    if isinstance(obj, Scalar) and obj.type == STRING:
        return S(STRING, (obj.value or "")[bounds])
    if isinstance(obj, Table):
        return table_rows(obj, np.arange(obj.rows)[bounds])
    if isinstance(obj, (Vector, ArrayVector)):
        return take_rows(obj, np.arange(len(obj))[bounds])
    raise ScriptError("The object can't be sliced")


def _list_comprehension(interp, e):
    """[elt for name in seq if cond ...]: the loop variables are bound only while the
    comprehension runs, as in Python 3."""
    element_expr, generators = e.element, e.generators
    scope = interp.frames[-1] if interp.frames else interp.ctx.variables
    names = [g[0] for g in generators]
    saved = {n: scope[n] for n in names if n in scope}
    items = []

    def loop(level):
        if level == len(generators):
            items.append(interp.eval(element_expr))
            return
        name, seq, conditions = generators[level]
        for item in interp.iterate(interp.eval(seq)):
            interp.ctx.check_cancelled()
            scope[name] = item
            if all(truthy(interp.eval(c)) for c in conditions):
                loop(level + 1)
    try:
        loop(0)
    finally:
        for n in names:
            scope.pop(n, None)
        scope.update(saved)
    return vector_of(items)


def _python_name(interp, e):
    """len / range / str: the session's own definitions and DolphinDB's built-ins come first."""
    try:
        return interp.lookup_var(e.name)
    except ScriptError:
        return BuiltinRef(PYTHON_FUNCTIONS[e.name])


for _node_class, _handler in ((PyBoolOp, _and_or), (PyCompare, _compare), (PyIfExp, _if_expression),
                              (PyFloorDiv, _floor_division), (PySlice, _slice), (PyListComp, _list_comprehension),
                              (PyName, _python_name)):
    register_expression(_node_class, _handler)


# ---- Python syntax tree -> interpreter tree ---------------------------------------------------
class Translator:
    line = 1       # of the statement being translated (operator nodes carry no position)

    def unsupported(self, node, what=None):
        if what is None:
            label = SYNTAX_NAMES.get(type(node).__name__, type(node).__name__)
            what = label if label.startswith(("a ", "an ")) else f"'{label}'"
        return syntax_error(getattr(node, "lineno", self.line),
                            f"{what} is not supported by the Python parser of this server")

    # -- statements ----------------------------------------------------------------------------
    def statement(self, node):
        self.line = node.lineno
        return Line(node.lineno, self._statement(node))

    def body(self, statements):
        return Block([self.statement(s) for s in statements])

    def _statement(self, node):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise syntax_error(node.lineno, "import is not supported: the Python parser of this server "
                                            "has no modules, only DolphinDB's built-in functions")
        if isinstance(node, ast.Expr):
            return ExprStmt(self.expr(node.value))
        if isinstance(node, ast.Assign):
            value = self.expr(node.value)
            if len(node.targets) == 1:
                return self.assign(node.targets[0], value)
            # a = b = e: e once into the first target, the others copy it
            first = node.targets[0]
            stmts = [self.assign(first, value)] + [self.assign(t, self.expr(first)) for t in node.targets[1:]]
            return Block(stmts)
        if isinstance(node, ast.AugAssign):
            if type(node.op) not in BINARY_OPERATORS and not isinstance(node.op, ast.FloorDiv):
                raise self.unsupported(node.op)
            current = self.expr(node.target) if not isinstance(node.target, ast.Name) else Var(node.target.id)
            return self.assign(node.target, self.binary(node.op, current, self.expr(node.value)))
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            return self.assign(node.target, self.expr(node.value))
        if isinstance(node, ast.FunctionDef):
            args = node.args
            if node.decorator_list or args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs \
                    or args.defaults:
                raise self.unsupported(node, "a def with decorators, defaults, *args or keyword-only arguments")
            return FunctionDef(node.name, [a.arg for a in args.args], self.body(node.body))
        if isinstance(node, ast.Return):
            return Return(None if node.value is None else self.expr(node.value))
        if isinstance(node, ast.If):
            other = self.body(node.orelse) if node.orelse else None
            return If(self.expr(node.test), self.body(node.body), other)
        if isinstance(node, ast.For):
            if node.orelse:
                raise self.unsupported(node, "for ... else")
            return For(self.target_name(node.target), self.expr(node.iter), self.body(node.body))
        if isinstance(node, ast.While):
            if node.orelse:
                raise self.unsupported(node, "while ... else")
            return While(self.expr(node.test), self.body(node.body))
        if isinstance(node, ast.Pass):
            return Block([])
        if isinstance(node, ast.Break):
            return Break()
        if isinstance(node, ast.Continue):
            return Continue()
        raise self.unsupported(node)

    def target_name(self, node):
        if not isinstance(node, ast.Name):
            raise self.unsupported(node, "a loop target other than one name")
        return node.id

    def assign(self, target, value):
        if isinstance(target, ast.Name):
            return Assign([target.id], [value])
        if isinstance(target, (ast.Tuple, ast.List)) and all(isinstance(t, ast.Name) for t in target.elts):
            names = [t.id for t in target.elts]
            values = value.items if isinstance(value, TupleLit) and len(value.items) == len(names) else [value]
            return Assign(names, values)
        if isinstance(target, ast.Subscript) and not isinstance(target.slice, ast.Slice):
            return SetItem(Index(self.expr(target.value), self.expr(target.slice)), value)
        if isinstance(target, ast.Attribute):
            return SetItem(Member(self.expr(target.value), target.attr), value)
        raise self.unsupported(target, "this assignment target")

    # -- expressions ---------------------------------------------------------------------------
    def expr(self, node):
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.unsupported(node)
        return method(node)

    def expr_Constant(self, node):
        v = node.value
        if v is None:
            return Literal(VOID, None, 1)
        if isinstance(v, bool):
            return Literal(BOOL, int(v))
        if isinstance(v, int):
            if not -2**63 < v < 2**63:
                raise self.unsupported(node, "an integer beyond 64 bits")
            return Literal(INT if -2**31 < v < 2**31 else LONG, v)
        if isinstance(v, float):
            return Literal(DOUBLE, v)
        if isinstance(v, str):
            return Literal(STRING, v)
        raise self.unsupported(node, f"a literal of type {type(v).__name__}")

    def expr_Name(self, node):
        return (PyName if node.id in PYTHON_FUNCTIONS else Var)(node.id)

    def expr_List(self, node):
        return VectorLit([self.expr(e) for e in node.elts])

    def expr_Tuple(self, node):
        return TupleLit([self.expr(e) for e in node.elts])

    def expr_Dict(self, node):
        if not node.keys:
            raise self.unsupported(node, "an empty dict literal (its key type is unknown; use dict(STRING, ANY))")
        if any(k is None for k in node.keys):
            raise self.unsupported(node, "** in a dict literal")
        keys = VectorLit([self.expr(k) for k in node.keys])
        return Call(Var("dict"), [keys, VectorLit([self.expr(v) for v in node.values])])

    def expr_BinOp(self, node):
        return self.binary(node.op, self.expr(node.left), self.expr(node.right))

    def binary(self, op, left, right):
        if isinstance(op, ast.FloorDiv):
            return PyFloorDiv(left, right)
        name = BINARY_OPERATORS.get(type(op))
        if name is None:
            raise self.unsupported(op)
        return Binary(name, left, right)

    def expr_UnaryOp(self, node):
        operand = self.expr(node.operand)
        if isinstance(node.op, ast.USub):
            if isinstance(node.operand, ast.Constant) and isinstance(operand, Literal) \
                    and operand.type in (INT, LONG, DOUBLE):
                return Literal(operand.type, -operand.value)
            return Call(Var("neg"), [operand])
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not):
            return Call(Var("not"), [operand])
        raise self.unsupported(node.op)

    def expr_BoolOp(self, node):
        return PyBoolOp(isinstance(node.op, ast.And), [self.expr(v) for v in node.values])

    def expr_Compare(self, node):
        chain = []
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, (ast.Is, ast.IsNot)):
                if not (isinstance(right, ast.Constant) and right.value is None):
                    raise self.unsupported(node, "'is' with anything but None")
                chain.append((isinstance(op, ast.IsNot), "isNull", self.expr(right)))
            elif isinstance(op, ast.NotIn):
                chain.append((True, "in", self.expr(right)))
            else:
                chain.append((False, COMPARISONS[type(op)], self.expr(right)))
        left = self.expr(node.left)
        if len(chain) == 1 and chain[0][1] != "isNull" and not chain[0][0]:
            return Binary(chain[0][1], left, chain[0][2])
        return PyCompare(left, chain)

    def expr_IfExp(self, node):
        return PyIfExp(self.expr(node.test), self.expr(node.body), self.expr(node.orelse))

    def expr_Call(self, node):
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.unsupported(node, "a call with keyword or * arguments")
        args = [self.expr(a) for a in node.args]
        if isinstance(node.func, ast.Attribute):       # x.f(a) is DolphinDB's method-call sugar f(x, a)
            return Call(Var(node.func.attr), [self.expr(node.func.value)] + args)
        return Call(self.expr(node.func), args)

    def expr_Attribute(self, node):
        return Member(self.expr(node.value), node.attr)

    def expr_Subscript(self, node):
        obj = self.expr(node.value)
        s = node.slice
        if isinstance(s, ast.Slice):
            return PySlice(obj, *(None if b is None else self.expr(b) for b in (s.lower, s.upper, s.step)))
        return Index(obj, self.expr(s))

    def expr_Lambda(self, node):
        args = node.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs or args.defaults:
            raise self.unsupported(node, "a lambda with defaults, *args or keyword-only arguments")
        return Lambda([a.arg for a in args.args], Return(self.expr(node.body)))

    def expr_ListComp(self, node):
        generators = []
        for g in node.generators:
            if g.is_async:
                raise self.unsupported(node, "async comprehensions")
            generators.append((self.target_name(g.target), self.expr(g.iter), [self.expr(c) for c in g.ifs]))
        return PyListComp(self.expr(node.elt), generators)

    def expr_JoinedStr(self, node):
        """f"a{x}b" -> "a" + string(x) + "b"."""
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(Literal(STRING, v.value))
            elif v.format_spec is not None or v.conversion not in (-1, ord("s")):
                raise self.unsupported(node, "an f-string format spec or conversion")
            else:
                parts.append(Call(Var("string"), [self.expr(v.value)]))
        result = Literal(STRING, "")
        for p in parts:
            result = Binary("add", result, p)
        return result
