"""Tokens of a DolphinDB script: numbers, temporal literals, strings, `symbols, names, keywords
and operators, with the line each starts on. Newlines are tokens only outside brackets (and
inside braces), where they end a statement."""
from __future__ import annotations

import re

from ..errors import ScriptError
from .literals import match_temporal

KEYWORDS = {"def", "if", "else", "for", "in", "do", "while", "return", "break", "continue", "share", "as",
            "select", "exec", "from", "where", "group", "by", "context", "order", "asc", "desc", "top",
            "limit", "update", "set", "delete", "insert", "into", "values", "and", "or", "not", "true",
            "false", "NULL", "go", "having", "csort", "pivot"}
OPERATORS = ["..", "->", "<-", "==", "!=", "<>", "<=", ">=", "&&", "||", "<<", ">>", "**",
             "+", "-", "*", "/", "\\", "%", "<", ">", "!", "&", "|", "^", "$", ":", "=", ",", ";",
             "(", ")", "[", "]", "{", "}", "."]
NUMBER = re.compile(r"(\d+\.(?!\.)\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)([hlcfHLCF]?)(?![A-Za-z_])")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_!]*")
SYMBOL_NAME = re.compile(r"[A-Za-z0-9_.]*")


class Token:
    """kind: number, temporal, string, symbols, ident, kw, op, nl or eof; text: the source text
    (what error messages quote)."""
    __slots__ = ("kind", "value", "line", "text")

    def __init__(self, kind, value, line, text=""):
        self.kind, self.value, self.line, self.text = kind, value, line, text

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
                tokens.append(Token("temporal", hit[:2], line, text[i:hit[2]]))
                i = hit[2]
                continue
            m = NUMBER.match(text, i)
            if m:
                tokens.append(Token("number", (m.group(1), m.group(2).lower()), line, m.group(0)))
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
            tokens.append(Token("ident" if quoted_name else "string", "".join(buf), line, text[i:j + 1]))
            i = j + 1
            continue
        if c == "`":
            start, names = i, []
            while i < n and text[i] == "`":
                m = SYMBOL_NAME.match(text, i + 1)
                names.append(m.group(0))
                i = m.end()
            tokens.append(Token("symbols", names, line, text[start:i]))
            continue
        m = IDENT.match(text, i)
        if m:
            word = m.group(0)
            tokens.append(Token("kw" if word in KEYWORDS else "ident", word, line, word))
            i = m.end()
            continue
        for op in OPERATORS:
            if text.startswith(op, i):
                if op in "([{":
                    depth.append(op)
                elif op in ")]}" and depth:
                    depth.pop()
                tokens.append(Token("op", op, line, op))
                i += len(op)
                break
        else:
            raise syntax_error(line, f"Cannot recognize the token {c}")
    tokens.append(Token("eof", None, line))
    return tokens
