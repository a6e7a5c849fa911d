"""Recursive-descent parser for the DolphinDB script language: tokens (lexer.py) to the nodes of
nodes.py."""
from __future__ import annotations

from ..errors import ScriptError
from ..model.types import TYPE_INFO
from ..model.values import BOOL, CHAR, DECIMAL64, DOUBLE, FLOAT, INT, LONG, SHORT, STRING, VOID, Scalar
from .lexer import Token, syntax_error, tokenize
from .builtins.casts import cast
from .registry import BUILTINS
from .nodes import (Alias, Assign, Binary, Block, Break, Call, CallOrIndex, Continue, Delete, DoWhile, Drop, Empty,
                    ExprStmt, For, FunctionDef, If, Index, Insert, KwArg, Lambda, Line, Literal, Member, Meta, PartialApp,
                    Return, RowsColumns, Select, SelectItem, SetItem, Share, SpaceVector, Star, Symbols, TupleLit,
                    UndefAll, Update, Var, VectorLit, Void, While)

BINARY = [  # lowest precedence first: the operator table of the DolphinDB reference
    ({"||", "or"}, "or"),                              # 1
    ({"&&", "and"}, "and"),                            # 2
    ({"==", "!=", "<>", "<", "<=", ">", ">=", "in"}, None),   # 3
    ({"|"}, None),                                     # 4
    ({"^"}, None),                                     # 5
    ({"&"}, None),                                     # 6
    ({"<<", ">>"}, None),                              # 7
    ({"+", "-"}, None),                                # 8
    ({"*", "/", "\\", "%", "**", "$", "<-"}, None),    # 10 (cast $ and join <- too)
    ({":", ".."}, None),                               # 15: binds tighter than * and +
]
COMPARISON_LEVEL = 2
OP_NAMES = {"||": "or", "or": "or", "&&": "and", "and": "and", "==": "eq", "!=": "ne", "<>": "ne", "<": "lt",
            "<=": "le", ">": "gt", ">=": "ge", "in": "in", "|": "bitOr", "^": "bitXor", "&": "bitAnd",
            "<<": "lshift", ">>": "rshift", ":": "pair", "..": "seq", "+": "add", "-": "sub", "*": "mul",
            "/": "div", "\\": "ratio", "%": "mod", "$": "cast", "**": "pow", "<-": "join"}
LITERAL_TOKENS = {"number", "temporal", "string", "char", "null"}
INTEGER_SUFFIXES = {"b": BOOL, "c": CHAR, "h": SHORT, "i": INT, "l": LONG}
COMMAND_ARGUMENT_TOKENS = {"ident", "symbols"}
CLAUSES = {"from", "where", "group", "context", "order", "limit", "having", "csort", "pivot"}


class Parser:
    def __init__(self, text):
        self.toks = tokenize(text)
        self.i = 0
        self.sql_conditions = False    # inside where/having, "=" means "=="
        self.no_pair = 0               # inside a {key: value} literal, ':' separates
        self.meta_depth = 0            # inside <meta code>, a '>' before the end of an expression closes it

    # -- token helpers -----------------------------------------------------------------------
    @property
    def tok(self):
        return self.toks[self.i]

    def peek(self, k=1):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def at(self, kind, value=None):
        t = self.tok
        return t.kind == kind and (value is None or t.value == value)

    def at_op(self, *values):
        return self.tok.kind == "op" and self.tok.value in values

    def peek_op(self, value):
        nxt = self.peek()
        return nxt.kind == "op" and nxt.value == value

    def at_kw(self, *values):
        return self.tok.kind == "kw" and self.tok.value in values

    def next(self):
        t = self.tok
        self.i += 1
        return t

    def expect_op(self, value):
        if not self.at_op(value):
            raise self.error(f"Expected '{value}'")
        return self.next()

    def expect_kw(self, value):
        if not self.at_kw(value):
            raise self.error(f"Expected '{value}'")
        return self.next()

    def error(self, message=None):
        t = self.tok
        if message is None:
            message = f"Cannot recognize the token {t.text or 'end of script'}"
        return syntax_error(t.line, message)

    def closes_meta(self):
        nxt = self.peek()
        return nxt.kind in ("nl", "eof") or (nxt.kind == "op" and nxt.value in (")", ";", ",", "]", "}"))

    def skip_nl(self):
        while self.at("nl") or self.at_op(";"):
            self.next()

    def skip_nl_before(self, words):
        j = self.i
        while self.toks[j].kind == "nl":
            j += 1
        if self.toks[j].kind == "kw" and self.toks[j].value in words:
            self.i = j

    # -- statements --------------------------------------------------------------------------
    def parse_program(self):
        stmts = []
        self.skip_nl()
        while not self.at("eof"):
            stmts.append(self.statement())
            if not (self.at("nl") or self.at_op(";") or self.at("eof") or self.at_op("}")):
                raise self.error()
            if self.at_op(";") and self.peek().kind == "eof":
                stmts.append(Void())
            self.skip_nl()
        return stmts

    def block(self):
        if self.at_op("{"):
            self.next()
            stmts = []
            self.skip_nl()
            while not self.at_op("}"):
                if self.at("eof"):
                    raise self.error("Missing '}'")
                stmts.append(self.statement())
                self.skip_nl()
            self.next()
            return Block(stmts)
        return self.statement()

    def statement(self):
        line = self.tok.line
        stmt = self._statement()
        return Line(line, stmt)

    def _statement(self):
        t = self.tok
        if t.kind == "kw":
            if t.value == "def" and self.peek().kind == "ident":
                self.next()
                name = self.next().value
                params = self.params()
                self.skip_nl()
                return FunctionDef(name, params, self.block())
            if t.value == "if":
                self.next()
                self.expect_op("(")
                cond = self.expr()
                self.expect_op(")")
                self.skip_nl()
                body = self.block()
                j = self.i
                while self.toks[j].kind == "nl" or (self.toks[j].kind == "op" and self.toks[j].value == ";"):
                    j += 1
                other = None
                if self.toks[j].kind == "kw" and self.toks[j].value == "else":
                    self.i = j + 1
                    self.skip_nl()
                    other = self.block()
                return If(cond, body, other)
            if t.value == "for":
                self.next()
                self.expect_op("(")
                var = self.next().value
                self.expect_kw("in")
                seq = self.expr()
                self.expect_op(")")
                self.skip_nl()
                return For(var, seq, self.block())
            if t.value == "while":
                self.next()
                self.expect_op("(")
                cond = self.expr()
                self.expect_op(")")
                self.skip_nl()
                return While(cond, self.block())
            if t.value == "do":
                self.next()
                self.skip_nl()
                body = self.block()
                self.skip_nl()
                self.expect_kw("while")
                self.expect_op("(")
                cond = self.expr()
                self.expect_op(")")
                return DoWhile(body, cond)
            if t.value == "return":
                self.next()
                if self.at("nl") or self.at_op(";", "}") or self.at("eof"):
                    return Return(None)
                return Return(self.expr())
            if t.value in ("break", "continue"):
                self.next()
                return Break() if t.value == "break" else Continue()
            if t.value == "share":
                self.next()
                value = self.expr()
                self.expect_kw("as")
                return Share(value, self.shared_name())
            if t.value == "go":
                self.next()
                return Void()
        if t.kind == "ident" and t.value == "drop" and self.peek().kind == "ident" and \
                self.peek().value in ("database", "table"):
            return self.drop()
        if t.kind == "ident" and t.value == "undef" and self.peek().kind == "ident" and self.peek().value == "all":
            self.next(), self.next()
            return UndefAll()
        if self.at_op("{"):
            return self.block()
        # assignment: a = e ; a, b = e ; a[i] = e ; a.col = e
        start = self.i
        if t.kind == "ident":
            targets = [self.next().value]
            while self.at_op(",") and self.peek().kind == "ident":
                self.next()
                targets.append(self.next().value)
            if self.at_op("=") and not (self.peek().kind == "op" and self.peek().value == "="):
                self.next()
                values = [self.expr()]
                while self.at_op(","):
                    self.next()
                    values.append(self.expr())
                return Assign(targets, values)
            self.i = start
        e = self.expr()
        if self.at_op("=") and isinstance(e, CallOrIndex) and isinstance(e.as_index, Index):
            e = e.as_index                  # only a variable is assigned to: values[0] = 1
        if self.at_op("=") and isinstance(e, (Index, Member)):
            self.next()
            return SetItem(e, self.expr())
        if isinstance(e, Binary) and e.op == "join":      # `x <- y` as a statement appends to x in place
            return ExprStmt(Call(Var("append!"), [e.left, e.right]))
        return ExprStmt(e)

    def shared_name(self):
        """The name after `share t as`: a name, `name or "name"."""
        t = self.next()
        if t.kind in ("ident", "string") or (t.kind == "symbols" and len(t.value) == 1):
            return t.value[0] if t.kind == "symbols" else t.value
        self.i -= 1
        raise self.error("Expected the name to share the table as")

    def drop(self):
        """drop database [if exists] <path> | drop table [if exists] <path>.<name>"""
        self.next()
        what = self.next().value
        if_exists = False
        if self.at_kw("if"):
            self.next()
            if not (self.at("ident") and self.tok.value == "exists"):
                raise self.error("Expected 'exists'")
            self.next()
            if_exists = True
        path = self.primary()
        table = None
        if what == "table":
            self.expect_op(".")
            t = self.next()
            if t.kind not in ("string", "ident"):
                raise self.error("Expected a table name")
            table = Literal(STRING, t.value)
        return ExprStmt(Drop(what, path, table, if_exists))

    def params(self):
        self.expect_op("(")
        names = []
        while not self.at_op(")"):
            if self.at("ident") and self.tok.value == "mutable" and self.peek().kind == "ident":
                self.next()
            names.append(self.next().value)
            if self.at_op(","):
                self.next()
        self.next()
        return names

    # -- expressions -------------------------------------------------------------------------
    def expr(self):
        return self.binary(0)

    def binary(self, level):
        if level == len(BINARY):
            return self.unary()
        left = self.binary(level + 1)
        ops = BINARY[level][0]
        while (self.tok.kind in ("op", "kw")) and (self.tok.value in ops or (
                self.sql_conditions and level == COMPARISON_LEVEL and self.tok.value == "=")):
            if self.meta_depth and self.tok.value == ">" and self.closes_meta():
                break
            if self.no_pair and self.tok.value == ":":
                break
            op = self.next().value
            op = "==" if op == "=" else op
            right = self.binary(level + 1)
            left = Binary(OP_NAMES[op], left, right)
        return left

    def unary(self):
        if self.at_op("-"):
            self.next()
            negative_number = self.at("number")
            operand = self.unary()
            if negative_number and isinstance(operand, Literal):
                return Literal(operand.type, None if operand.value is None else -operand.value, operand.scale)
            return Call(Var("neg"), [operand])
        if self.at_op("!") or self.at_kw("not"):
            self.next()
            return Call(Var("not"), [self.unary()])
        return self.postfix(self.primary())

    def postfix(self, e):
        while True:
            if self.at_op("("):
                e = Call(e, self.args(")"))
            elif self.at_op("[") and isinstance(e, Var) and e.name in BUILTINS and not self.peek_op("]"):
                items = self.args("]")
                e = CallOrIndex(e.name, _subscript(e, items), Call(e, [VectorLit(_chars_among_strings(items))]))
            elif self.at_op("["):
                self.next()
                idx = self.expr() if not self.at_op("]", ",") else None
                if self.at_op(","):           # x[rows, columns], x[i,]: a slice of rows and columns
                    self.next()
                    columns = self.expr() if not self.at_op("]") else None
                    self.expect_op("]")
                    e = RowsColumns(e, idx, columns)
                else:
                    self.expect_op("]")
                    e = Index(e, idx)
            elif self.at_op(".") and self.peek().kind in ("ident", "kw"):
                self.next()
                name = self.next().value
                if self.at_op("("):
                    e = Call(Var(name), [e] + self.args(")"))
                else:
                    e = Member(e, name)
            elif self.at_op("{") and isinstance(e, (Var, Lambda)):
                self.next()
                parts = []
                while not self.at_op("}"):
                    if self.at_op(","):
                        parts.append(None)
                        self.next()
                        continue
                    parts.append(self.argument())
                    if self.at_op(","):
                        self.next()
                        if self.at_op("}"):
                            parts.append(None)
                self.next()
                e = PartialApp(e, parts)
            else:
                return e

    def args(self, close):
        self.next()
        out = []
        expect_value = False
        while not self.at_op(close):
            if self.at_op(","):      # f(a, , b), [0, , 1]: an empty argument is NULL
                out.append(Empty())
                self.next()
                expect_value = True
                continue
            expect_value = False
            if self.at_op("*") and self.peek().kind == "op" and self.peek().value in (close, ","):
                self.next()
                out.append(Star())
            else:
                a = self.argument()
                if self.at_kw("as"):
                    self.next()
                    a = Alias(a, self.next().value)
                out.append(a)
            if self.at_op(","):
                self.next()
                expect_value = True
            elif not self.at_op(close):
                raise self.error()
        if expect_value and out:
            out.append(Empty())
        self.next()
        return out

    def argument(self):
        """An argument of a call or partial application; `name=value` is a keyword argument."""
        if self.tok.kind in ("ident", "kw") and self.peek().kind == "op" and self.peek().value == "=" \
                and not self.sql_conditions:
            name = self.next().value
            self.next()
            return KwArg(name, self.expr())
        return self.expr()

    def primary(self):
        t = self.tok
        if self.at_literal():
            items = [self.literal()]
            # 1 NULL 3, true false, "a" "b", 1 -1 2: one vector (the lexer signs -1 as an element)
            while self.at_literal():
                items.append(self.literal())
            if len(items) == 1:
                return items[0]
            return SpaceVector(_chars_among_strings(items))
        if t.kind == "symbols":
            self.next()
            names = list(t.value)
            while self.tok.kind in ("symbols", "string", "char"):     # `a`b"c d": more elements
                more = self.next()
                names.extend(more.value if more.kind == "symbols" else
                             [chr(more.value) if more.kind == "char" else more.value])
            return Symbols(names)
        if t.kind == "kw" and t.value in ("set", "values", "top", "limit", "asc", "desc", "go", "pivot") \
                and self.peek().kind == "op" and self.peek().value == "(":
            self.next()
            return Var(t.value)        # a function whose name is also an SQL word: set(...)
        if t.kind == "kw":
            if t.value == "def":
                self.next()
                params = self.params()
                if self.at_op(":"):
                    self.next()
                    return Lambda(params, Return(self.expr()))
                return Lambda(params, self.block())
            if t.value in ("select", "exec"):
                return self.select()
            if t.value == "update":
                return self.update()
            if t.value == "delete":
                return self.delete()
            if t.value == "insert":
                return self.insert()
        if t.kind == "ident":
            self.next()
            if self.at_op("->"):
                self.next()
                return Lambda([t.value], Return(self.expr()))
            if t.value in BUILTINS and self.tok.line == t.line and (
                    self.tok.kind in COMMAND_ARGUMENT_TOKENS or self.at_literal()):
                return Call(Var(t.value), [self.expr()])     # command-call syntax: typestr x, print "a"
            return Var(t.value)
        if self.at_op("("):
            self.next()
            if self.at_op(")"):
                self.next()
                return TupleLit([])            # (): the empty tuple
            if self.at_op(","):
                items = [Empty()]
            else:
                e = self.expr()
                if not self.at_op(","):
                    self.expect_op(")")
                    return e
                items = [e]
            while self.at_op(","):            # (a, b), (, , ): an omitted element is NULL
                self.next()
                items.append(Empty() if self.at_op(",", ")") else self.expr())
            self.expect_op(")")
            return TupleLit(items)
        if self.at_op("["):
            return VectorLit(_chars_among_strings(self.args("]")))
        if self.at_op("<"):                         # <expression>: meta code
            self.next()
            self.meta_depth += 1
            try:
                body = self.select() if self.at_kw("select", "exec") else self.expr()
            finally:
                self.meta_depth -= 1
            self.expect_op(">")
            return Meta(body)
        if self.at_op("{"):                         # {key: value, ...}: a dictionary
            self.next()
            keys, values = [], []
            while not self.at_op("}"):
                k = self.next()
                if k.kind in ("ident", "kw", "string"):
                    keys.append(Literal(STRING, k.value))
                elif k.kind == "symbols" and len(k.value) == 1:
                    keys.append(Literal(STRING, k.value[0]))
                else:
                    self.i -= 1
                    keys.append(self.unary())
                self.expect_op(":")
                self.no_pair += 1
                try:
                    values.append(self.expr())
                finally:
                    self.no_pair -= 1
                if self.at_op(","):
                    self.next()
            self.next()
            return Call(Var("dict"), [VectorLit(keys), TupleLit(values), Literal(BOOL, 1)])
        raise self.error()

    def at_literal(self):
        t = self.tok
        return t.kind in LITERAL_TOKENS or (t.kind == "kw" and t.value in ("true", "false", "NULL"))

    def literal(self):
        t = self.next()
        kind = t.kind
        if kind == "number":
            return self.number(t)
        if kind == "temporal":
            natural, raw, target = t.value
            if target is None or target == natural:
                return Literal(natural, raw)
            s = cast(Scalar(natural, raw), target)
            return Literal(s.type, s.value)
        if kind == "string":
            return Literal(STRING, t.value)
        if kind == "char":
            return Literal(CHAR, t.value)
        if kind == "null":
            return Literal(t.value, None)
        if t.value == "NULL":
            return Literal(VOID, None, 1)
        return Literal(BOOL, int(t.value == "true"))

    def number(self, t: Token):
        text, suffix = t.value
        if suffix == "P":
            return self.decimal64(t)
        if suffix in ("f", "F") or any(ch in text for ch in ".eE"):
            if suffix not in ("", "f", "F"):
                raise self.error(f"Cannot recognize the token {t.text}")
            return Literal(FLOAT if suffix == "f" else DOUBLE, float(text))
        n = int(text)
        if suffix:
            t = INTEGER_SUFFIXES[suffix]
            return Literal(t, int(n != 0) if t == BOOL else n)
        return Literal(INT if -2**31 < n < 2**31 else LONG, n)

    def decimal64(self, t: Token):
        """3.141P: a DECIMAL64 keeping every digit written (scale 3); 00P is 0 with scale 0."""
        text = t.value[0]
        sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text)   # the lexer signs -3.141P
        whole, _, fraction = digits.partition(".")
        if not (whole + fraction).isdigit() or len(fraction) > TYPE_INFO[DECIMAL64].max_scale:
            raise self.error(f"Cannot recognize the token {t.text}")
        raw = int(whole + fraction)
        if raw >= 2**63:
            raise self.error(f"Decimal overflow: {t.text}")
        return Literal(DECIMAL64, sign * raw, len(fraction))

    # -- SQL ---------------------------------------------------------------------------------
    def select_items(self):
        items = []
        while True:
            if self.at_op("*"):
                self.next()
                items.append(Star())
            else:
                e = self.expr()
                name = None
                if self.at_kw("as"):
                    self.next()
                    name = self.next().value
                items.append(SelectItem(e, name))
            if not self.at_op(","):
                return items
            self.next()

    def conditions(self):
        self.sql_conditions = True
        try:
            conds = [self.expr()]
            while self.at_op(","):
                self.next()
                conds.append(self.expr())
        finally:
            self.sql_conditions = False
        return conds

    def select(self):
        kind = self.next().value
        top = None
        if self.at_kw("top"):
            self.next()
            top = self.primary()
        items = self.select_items()
        self.skip_nl_before(CLAUSES)
        source = None
        if self.at_kw("from"):
            self.next()
            source = self.postfix(self.primary())
        q = {"where": [], "order": [], "csort": []}
        while True:
            self.skip_nl_before(CLAUSES)
            if self.at_kw("where"):
                self.next()
                q["where"] = self.conditions()
            elif self.at_kw("group") or self.at_kw("context") or self.at_kw("pivot"):
                which = self.next().value
                self.expect_kw("by")
                q[which] = self.conditions()
            elif self.at_kw("having"):
                self.next()
                q["having"] = self.conditions()
            elif self.at_kw("order") or self.at_kw("csort"):
                which = "order" if self.next().value == "order" else "csort"
                if which == "order":
                    self.expect_kw("by")
                while True:
                    e = self.expr()
                    desc = False
                    if self.at_kw("asc", "desc"):
                        desc = self.next().value == "desc"
                    q[which].append((e, desc))
                    if not self.at_op(","):
                        break
                    self.next()
            elif self.at_kw("limit"):
                self.next()
                first = self.expr()
                if self.at_op(","):
                    self.next()
                    q["limit"] = (first, self.expr())
                else:
                    q["limit"] = (None, first)
            else:
                return Select(kind, items, source, top=top, **q)

    def update(self):
        self.next()
        table = self.postfix(self.primary())
        self.expect_kw("set")
        sets = []
        while True:
            name = self.next().value
            self.expect_op("=")
            sets.append((name, self.expr()))
            if not self.at_op(","):
                break
            self.next()
        self.skip_nl_before({"where"})
        where = []
        if self.at_kw("where"):
            self.next()
            where = self.conditions()
        return Update(table, sets, where)

    def delete(self):
        self.next()
        self.expect_kw("from")
        table = self.postfix(self.primary())
        self.skip_nl_before({"where"})
        where = []
        if self.at_kw("where"):
            self.next()
            where = self.conditions()
        return Delete(table, where)

    def insert(self):
        self.next()
        self.expect_kw("into")
        table = Var(self.next().value)
        cols = None
        if self.at_op("("):
            cols = [_column_name(a) for a in self.args(")")]
        self.expect_kw("values")
        return Insert(table, cols, self.args(")") if self.at_op("(") else [])


def _chars_among_strings(items):
    """'a' next to string literals ('a' 'bc', ['a', '', 'ccc']) is a one-letter string."""
    if not any(isinstance(x, Literal) and x.type == STRING for x in items):
        return items
    return [Literal(STRING, "" if x.value is None else chr(x.value)) if isinstance(x, Literal) and x.type == CHAR
            else x for x in items]


def _subscript(obj, items):
    """obj[i] or obj[rows, columns] from the bracket contents; None when they can't index."""
    parts = [None if isinstance(x, Empty) else x for x in items]
    if len(parts) == 1 and parts[0] is not None:
        return Index(obj, parts[0])
    if len(parts) == 2:
        return RowsColumns(obj, parts[0], parts[1])
    return None


def _column_name(e):
    if isinstance(e, Var):
        return e.name
    if isinstance(e, Literal) and e.type == STRING:
        return e.value
    raise ScriptError("The columns of an insert statement must be names")


def parse(text: str):
    return Parser(text).parse_program()


def parse_expression(text: str):
    p = Parser(text)
    e = p.expr()
    if not p.at("eof"):
        raise p.error()
    return e
