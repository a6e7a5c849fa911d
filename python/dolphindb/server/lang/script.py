"""Lexer and recursive-descent parser for the DolphinDB script subset. The AST is tuples:
("kind", ...); statements and expressions carry no positions except ("line", n) markers that the
evaluator uses for error texts."""
from __future__ import annotations

import re

from .literals import match_temporal
from ..errors import ScriptError

KEYWORDS = {"def", "if", "else", "for", "in", "do", "while", "return", "break", "continue", "share", "as",
            "select", "exec", "from", "where", "group", "by", "context", "order", "asc", "desc", "top",
            "limit", "update", "set", "delete", "insert", "into", "values", "and", "or", "not", "true",
            "false", "NULL", "go", "having", "csort", "pivot"}
OPERATORS = ["..", "->", "<-", "==", "!=", "<>", "<=", ">=", "&&", "||", "<<", ">>", "**",
             "+", "-", "*", "/", "\\", "%", "<", ">", "!", "&", "|", "^", "$", ":", "=", ",", ";",
             "(", ")", "[", "]", "{", "}", "."]
NUMBER = re.compile(r"(\d+\.(?!\.)\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)([hlcfHLCF]?)(?![A-Za-z_])")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_!]*")


class Token:
    __slots__ = ("kind", "value", "line")

    def __init__(self, kind, value, line):
        self.kind, self.value, self.line = kind, value, line

    def __repr__(self):
        return f"{self.kind}:{self.value!r}"


def syntax_error(line, message):
    return ScriptError(f"Syntax Error: [line #{line}] {message}")


def tokenize(text: str):
    tokens = []
    i, line, depth = 0, 1, []
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            if not depth or depth[-1] == "{":
                tokens.append(Token("nl", None, line))
            line += 1
            i += 1
            continue
        if c in " \t\r":
            i += 1
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise syntax_error(line, "unterminated comment")
            line += text.count("\n", i, j)
            i = j + 2
            continue
        if c.isdigit():
            hit = match_temporal(text, i)
            if hit is not None:
                tokens.append(Token("temporal", hit[:2], line))
                i = hit[2]
                continue
            m = NUMBER.match(text, i)
            if m:
                tokens.append(Token("number", (m.group(1), m.group(2).lower()), line))
                i = m.end()
                continue
        quoted_name = c == "_" and text.startswith('"', i + 1)    # _"any name": a column or variable
        if quoted_name:
            i += 1
            c = '"'
        if c in "'\"":
            j, buf = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    buf.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(text[j + 1], text[j + 1]))
                    j += 2
                    continue
                if text[j] == "\n":
                    line += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise syntax_error(line, "unterminated string")
            tokens.append(Token("ident" if quoted_name else "string", "".join(buf), line))
            i = j + 1
            continue
        if c == "`":
            names = []
            while i < n and text[i] == "`":
                m = re.compile(r"[A-Za-z0-9_.]*").match(text, i + 1)
                names.append(m.group(0))
                i = m.end()
            tokens.append(Token("symbols", names, line))
            continue
        m = IDENT.match(text, i)
        if m:
            word = m.group(0)
            tokens.append(Token("kw" if word in KEYWORDS else "ident", word, line))
            i = m.end()
            continue
        for op in OPERATORS:
            if text.startswith(op, i):
                if op in "([{":
                    depth.append(op)
                elif op in ")]}" and depth:
                    depth.pop()
                tokens.append(Token("op", op, line))
                i += len(op)
                break
        else:
            raise syntax_error(line, f"Cannot recognize the token {c}")
    tokens.append(Token("eof", None, line))
    return tokens


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
            message = f"Cannot recognize the token {t.value if t.value is not None else 'end of script'}"
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
                stmts.append(("void",))
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
            return ("block", stmts)
        return self.statement()

    def statement(self):
        line = self.tok.line
        stmt = self._statement()
        return ("at", line, stmt)

    def _statement(self):
        t = self.tok
        if t.kind == "kw":
            if t.value == "def" and self.peek().kind == "ident":
                self.next()
                name = self.next().value
                params = self.params()
                self.skip_nl()
                return ("def", name, params, self.block())
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
                return ("if", cond, body, other)
            if t.value == "for":
                self.next()
                self.expect_op("(")
                var = self.next().value
                self.expect_kw("in")
                seq = self.expr()
                self.expect_op(")")
                self.skip_nl()
                return ("for", var, seq, self.block())
            if t.value == "while":
                self.next()
                self.expect_op("(")
                cond = self.expr()
                self.expect_op(")")
                self.skip_nl()
                return ("while", cond, self.block())
            if t.value == "do":
                self.next()
                self.skip_nl()
                body = self.block()
                self.skip_nl()
                self.expect_kw("while")
                self.expect_op("(")
                cond = self.expr()
                self.expect_op(")")
                return ("do", body, cond)
            if t.value == "return":
                self.next()
                if self.at("nl") or self.at_op(";", "}") or self.at("eof"):
                    return ("return", None)
                return ("return", self.expr())
            if t.value in ("break", "continue"):
                self.next()
                return (t.value,)
            if t.value == "share":
                self.next()
                value = self.expr()
                self.expect_kw("as")
                return ("share", value, self.next().value)
            if t.value == "go":
                self.next()
                return ("void",)
        if t.kind == "ident" and t.value == "drop" and self.peek().kind == "ident" and \
                self.peek().value in ("database", "table"):
            return self.drop()
        if t.kind == "ident" and t.value == "undef" and self.peek().kind == "ident" and self.peek().value == "all":
            self.next(), self.next()
            return ("undefall",)
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
                return ("assign", targets, values)
            self.i = start
        e = self.expr()
        if self.at_op("=") and e[0] in ("index", "member"):
            self.next()
            return ("setitem", e, self.expr())
        if e[0] == "bin" and e[1] == "join":      # `x <- y` as a statement appends to x in place
            return ("expr", ("call", ("var", "append!"), [e[2], e[3]]))
        return ("expr", e)

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
            table = ("lit", t.value, "string") if t.kind in ("string", "ident") else None
            if table is None:
                raise self.error("Expected a table name")
        return ("expr", ("drop", what, path, table, if_exists))

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
            left = ("bin", OP_NAMES[op], left, right)
        return left

    def unary(self):
        if self.at_op("-"):
            self.next()
            operand = self.unary()
            if operand[0] == "lit" and operand[2] in ("int", "float"):
                return ("lit", ("-" + operand[1][0], operand[1][1]), operand[2])
            return ("call", ("var", "neg"), [operand])
        if self.at_op("!") or self.at_kw("not"):
            self.next()
            return ("call", ("var", "not"), [self.unary()])
        return self.postfix(self.primary())

    def postfix(self, e):
        while True:
            if self.at_op("("):
                e = ("call", e, self.args(")"))
            elif self.at_op("[") :
                self.next()
                idx = self.expr() if not self.at_op("]") else None
                self.expect_op("]")
                e = ("index", e, idx)
            elif self.at_op(".") and self.peek().kind in ("ident", "kw"):
                self.next()
                name = self.next().value
                if self.at_op("("):
                    e = ("call", ("var", name), [e] + self.args(")"))
                else:
                    e = ("member", e, name)
            elif self.at_op("{") and e[0] in ("var", "lambda"):
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
                e = ("partial", e, parts)
            else:
                return e

    def args(self, close):
        self.next()
        out = []
        expect_value = False
        while not self.at_op(close):
            if self.at_op(",") and close == ")":      # f(a, , b): an empty argument
                out.append(("empty",))
                self.next()
                expect_value = True
                continue
            expect_value = False
            if self.at_op("*") and self.peek().kind == "op" and self.peek().value in (close, ","):
                self.next()
                out.append(("star",))
            else:
                a = self.argument()
                if self.at_kw("as"):
                    self.next()
                    a = ("alias", a, self.next().value)
                out.append(a)
            if self.at_op(","):
                self.next()
                expect_value = True
            elif not self.at_op(close):
                raise self.error()
        if expect_value and close == ")" and out:
            out.append(("empty",))
        self.next()
        return out

    def argument(self):
        """An argument of a call or partial application; `name=value` is a keyword argument."""
        if self.tok.kind in ("ident", "kw") and self.peek().kind == "op" and self.peek().value == "=" \
                and not self.sql_conditions:
            name = self.next().value
            self.next()
            return ("kwarg", name, self.expr())
        return self.expr()

    def primary(self):
        t = self.tok
        if t.kind == "number":
            items = [self.number(self.next())]
            while self.at("number") or self.at_kw("NULL"):
                items.append(self.number(self.next()) if self.at("number") else (self.next(), ("lit", None, "null"))[1])
            return items[0] if len(items) == 1 else ("numvec", items)
        if t.kind == "temporal":
            self.next()
            items = [("lit", t.value, "temporal")]
            while self.at("temporal") or self.at_kw("NULL"):
                t2 = self.next()
                items.append(("lit", t2.value, "temporal") if t2.kind == "temporal" else ("lit", None, "null"))
            return items[0] if len(items) == 1 else ("numvec", items)
        if t.kind == "string":
            self.next()
            return ("lit", t.value, "string")
        if t.kind == "symbols":
            self.next()
            return ("symbols", t.value)
        if t.kind == "kw" and t.value in ("set", "values", "top", "limit", "asc", "desc", "go", "pivot") \
                and self.peek().kind == "op" and self.peek().value == "(":
            self.next()
            return ("var", t.value)        # a function whose name is also an SQL word: set(...)
        if t.kind == "kw":
            if t.value in ("true", "false"):
                self.next()
                items = [("lit", t.value == "true", "bool")]
                while self.at_kw("true", "false"):
                    items.append(("lit", self.next().value == "true", "bool"))
                return items[0] if len(items) == 1 else ("numvec", items)
            if t.value == "NULL":
                self.next()
                return ("lit", None, "null")
            if t.value == "def":
                self.next()
                params = self.params()
                if self.at_op(":"):
                    self.next()
                    return ("lambda", params, ("return", self.expr()))
                return ("lambda", params, self.block())
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
                return ("lambda", [t.value], ("return", self.expr()))
            return ("var", t.value)
        if self.at_op("("):
            self.next()
            if self.at_op(")"):
                self.next()
                return ("vec", [])
            e = self.expr()
            if self.at_op(","):
                items = [e]
                while self.at_op(","):
                    self.next()
                    items.append(self.expr())
                self.expect_op(")")
                return ("tuple", items)
            self.expect_op(")")
            return e
        if self.at_op("["):
            return ("vec", self.args("]"))
        if self.at_op("<"):                         # <expression>: meta code
            self.next()
            self.meta_depth += 1
            try:
                body = self.select() if self.at_kw("select", "exec") else self.expr()
            finally:
                self.meta_depth -= 1
            self.expect_op(">")
            return ("meta", body)
        if self.at_op("{"):                         # {key: value, ...}: a dictionary
            self.next()
            keys, values = [], []
            while not self.at_op("}"):
                k = self.next()
                if k.kind in ("ident", "kw", "string"):
                    keys.append(("lit", k.value, "string"))
                elif k.kind == "symbols" and len(k.value) == 1:
                    keys.append(("lit", k.value[0], "string"))
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
            return ("call", ("var", "dict"), [("vec", keys), ("tuple", values), ("lit", True, "bool")])
        raise self.error()

    def number(self, t):
        text, suffix = t.value
        is_float = any(ch in text for ch in ".eE") or suffix == "f"
        return ("lit", (text, suffix), "float" if is_float else "int")

    # -- SQL ---------------------------------------------------------------------------------
    def select_items(self):
        items = []
        while True:
            if self.at_op("*"):
                self.next()
                items.append(("star",))
            else:
                e = self.expr()
                name = None
                if self.at_kw("as"):
                    self.next()
                    name = self.next().value
                items.append(("item", e, name))
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
        q = {"kind": kind, "items": items, "from": source, "where": [], "group": None, "context": None,
             "order": [], "limit": None, "top": top, "having": None, "csort": [], "pivot": None}
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
                return ("select", q)

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
        return ("update", table, sets, where)

    def delete(self):
        self.next()
        self.expect_kw("from")
        table = self.postfix(self.primary())
        self.skip_nl_before({"where"})
        where = []
        if self.at_kw("where"):
            self.next()
            where = self.conditions()
        return ("delete", table, where)

    def insert(self):
        self.next()
        self.expect_kw("into")
        table = ("var", self.next().value)
        cols = None
        if self.at_op("("):
            cols = [a[1] for a in self.args(")")]
        self.expect_kw("values")
        return ("insert", table, cols, self.args(")") if self.at_op("(") else [])


def parse(text: str):
    return Parser(text).parse_program()


def parse_expression(text: str):
    p = Parser(text)
    e = p.expr()
    if not p.at("eof"):
        raise p.error()
    return e
