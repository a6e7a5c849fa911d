"""The syntax tree of a script: one frozen dataclass per construct.

The DolphinDB parser (``parser.py``) and the Python parser (``pyparser.py``) build these nodes;
the interpreter (``evaluator.py``) dispatches on their class, SQL (``sql.py``), DFS partition
pruning (``dfs.py``) and a few built-ins read them. Nodes carry no source positions except
``Line``, which marks the line of a statement for error texts.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Optional, Sequence, Tuple

NODE = dict(slots=True, frozen=True)


class Node:
    __slots__ = ()


# ---- statements ------------------------------------------------------------------------------
@dataclass(**NODE)
class Line(Node):
    """A statement and the line it starts on."""
    number: int
    stmt: Node


@dataclass(**NODE)
class ExprStmt(Node):
    expr: Node


@dataclass(**NODE)
class Assign(Node):
    """a = e; a, b = e; a, b = e1, e2"""
    targets: Sequence[str]
    values: Sequence[Node]


@dataclass(**NODE)
class SetItem(Node):
    """a[i] = e or t.col = e: target is an Index or a Member."""
    target: Node
    value: Node


@dataclass(**NODE)
class FunctionDef(Node):
    name: str
    params: Sequence[str]
    body: Node


@dataclass(**NODE)
class Block(Node):
    stmts: Sequence[Node]


@dataclass(**NODE)
class If(Node):
    cond: Node
    body: Node
    other: Optional[Node]


@dataclass(**NODE)
class For(Node):
    var: str
    seq: Node
    body: Node


@dataclass(**NODE)
class While(Node):
    cond: Node
    body: Node


@dataclass(**NODE)
class DoWhile(Node):
    body: Node
    cond: Node


@dataclass(**NODE)
class Return(Node):
    value: Optional[Node]


@dataclass(**NODE)
class Break(Node):
    pass


@dataclass(**NODE)
class Continue(Node):
    pass


@dataclass(**NODE)
class Share(Node):
    value: Node
    name: str


@dataclass(**NODE)
class UndefAll(Node):
    pass


@dataclass(**NODE)
class Void(Node):
    """A statement without a result (`go`, a trailing `;`)."""


# ---- expressions -----------------------------------------------------------------------------
@dataclass(**NODE)
class Literal(Node):
    """A scalar constant, typed by the parser; evaluation makes a fresh Scalar each time."""
    type: int
    value: Any
    scale: int = 0


@dataclass(**NODE)
class Var(Node):
    name: str


@dataclass(**NODE)
class Binary(Node):
    op: str                  # a built-in name: add, eq, pair, seq ...
    left: Node
    right: Node


@dataclass(**NODE)
class Call(Node):
    fn: Node
    args: Sequence[Node]


@dataclass(**NODE)
class PartialApp(Node):
    """f{a, , b}: None in parts is a hole."""
    fn: Node
    parts: Sequence[Optional[Node]]


@dataclass(**NODE)
class Lambda(Node):
    params: Sequence[str]
    body: Node


@dataclass(**NODE)
class VectorLit(Node):
    """[a, b, c]"""
    items: Sequence[Node]


@dataclass(**NODE)
class TupleLit(Node):
    """(a, b, c): an ANY vector."""
    items: Sequence[Node]


@dataclass(**NODE)
class SpaceVector(Node):
    """1 2 NULL 3: literals separated by spaces, one typed vector."""
    items: Sequence[Literal]


@dataclass(**NODE)
class Symbols(Node):
    """`a`b`c"""
    names: Sequence[str]


@dataclass(**NODE)
class Index(Node):
    obj: Node
    index: Optional[Node]


@dataclass(**NODE)
class RowsColumns(Node):
    """x[rows, columns]; either may be omitted (x[i,] is row i)."""
    obj: Node
    rows: Optional[Node]
    columns: Optional[Node]


@dataclass(**NODE)
class CallOrIndex(Node):
    """name[a, b] where name is a built-in function: a variable of that name is indexed
    (as_index, None when the brackets can't index), otherwise the function is called with the
    vector [a, b] (as_call: the one-argument form `f x`, as in matrix[[1, 2], [3, 4]])."""
    name: str
    as_index: Optional[Node]
    as_call: Node


@dataclass(**NODE)
class Member(Node):
    obj: Node
    name: str


@dataclass(**NODE)
class Alias(Node):
    """e as name, inside calls and select lists."""
    expr: Node
    name: str


@dataclass(**NODE)
class KwArg(Node):
    name: str
    value: Node


@dataclass(**NODE)
class Empty(Node):
    """An omitted argument: f(a, , b)."""


@dataclass(**NODE)
class Star(Node):
    """* in select lists and count(*)."""


@dataclass(**NODE)
class Meta(Node):
    """<expression>: meta code."""
    body: Node


@dataclass(**NODE)
class Drop(Node):
    """drop database <path> | drop table <path>.<name>"""
    what: str
    path: Node
    table: Optional[Node]
    if_exists: bool


# ---- SQL -------------------------------------------------------------------------------------
@dataclass(**NODE)
class SelectItem(Node):
    expr: Node
    name: Optional[str]


@dataclass(**NODE)
class Select(Node):
    kind: str                                   # select | exec
    items: Sequence[Node]                       # SelectItem or Star
    source: Optional[Node] = None
    where: Sequence[Node] = ()
    group: Optional[Sequence[Node]] = None
    context: Optional[Sequence[Node]] = None
    pivot: Optional[Sequence[Node]] = None
    having: Optional[Sequence[Node]] = None
    order: Sequence[Tuple[Node, bool]] = ()     # (key, descending)
    csort: Sequence[Tuple[Node, bool]] = ()
    limit: Optional[Tuple[Optional[Node], Node]] = None   # (start or None, count)
    top: Optional[Node] = None


@dataclass(**NODE)
class Update(Node):
    table: Node
    sets: Sequence[Tuple[str, Node]]
    where: Sequence[Node]


@dataclass(**NODE)
class Delete(Node):
    table: Node
    where: Sequence[Node]


@dataclass(**NODE)
class Insert(Node):
    table: Node
    columns: Optional[Sequence[str]]
    values: Sequence[Node]


# ---- Python syntax (pyparser.py) -------------------------------------------------------------
@dataclass(**NODE)
class PyBoolOp(Node):
    """a and b and c / a or b: Python's short-circuit."""
    is_and: bool
    operands: Sequence[Node]


@dataclass(**NODE)
class PyCompare(Node):
    """a < b < c; chain holds (negate, built-in name, right operand)."""
    left: Node
    chain: Sequence[Tuple[bool, str, Node]]


@dataclass(**NODE)
class PyIfExp(Node):
    cond: Node
    body: Node
    other: Node


@dataclass(**NODE)
class PyFloorDiv(Node):
    left: Node
    right: Node


@dataclass(**NODE)
class PySlice(Node):
    obj: Node
    lower: Optional[Node]
    upper: Optional[Node]
    step: Optional[Node]


@dataclass(**NODE)
class PyListComp(Node):
    """[element for name in seq if cond ...]; generators hold (name, seq, conditions)."""
    element: Node
    generators: Sequence[Tuple[str, Node, Sequence[Node]]]


@dataclass(**NODE)
class PyName(Node):
    """len / range / str: Python's functions unless the session defines the name."""
    name: str


def walk(node):
    """Every node below `node` (inclusive), depth first, through lists and tuples of fields."""
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, Node):
            yield x
            stack.extend(getattr(x, f.name) for f in fields(x))
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
