"""Tokens of a DolphinDB script: numbers, temporal literals, strings, `symbols, names, keywords
and operators, with the line each starts on. Newlines are tokens only outside brackets (and
inside braces), where they end a statement."""
from __future__ import annotations

import re

from ..errors import ScriptError
from ..model.values import (BOOL, CHAR, DATE, DATETIME, DOUBLE, FLOAT, INT, LONG, MINUTE, MONTH, NANOTIME,
                            NANOTIMESTAMP, SECOND, SHORT, TIME, TIMESTAMP)
from .literals import match_temporal

KEYWORDS = {"def", "if", "else", "for", "in", "do", "while", "return", "break", "continue", "share", "as",
            "select", "exec", "from", "where", "group", "by", "context", "order", "asc", "desc", "top",
            "limit", "update", "set", "delete", "insert", "into", "values", "and", "or", "not", "true",
            "false", "NULL", "null", "go", "having", "csort", "pivot"}
OPERATORS = ["..", "->", "<-", "==", "!=", "<>", "<=", ">=", "&&", "||", "<<", ">>", "**",
             "+", "-", "*", "/", "\\", "%", "<", ">", "!", "&", "|", "^", "$", ":", "=", ",", ";",
             "(", ")", "[", "]", "{", "}", "."]
# A number and its type suffix (b c h i l: BOOL CHAR SHORT INT LONG, f: FLOAT, F: DOUBLE, P: DECIMAL64
# with as many decimal places as the literal has, 3.141P); case matters.
NUMBER = re.compile(r"(\d+\.(?!\.)\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)([bchilfFP]?)(?![A-Za-z_0-9])")
# The type symbols of the reference's type table: a suffix after a literal, or after 00 for the
# NULL of that type (00i, 00F, 00D ...). P (DECIMAL64) has no NULL form: 00P is the decimal 0.
TYPE_SUFFIXES = {"b": BOOL, "c": CHAR, "h": SHORT, "i": INT, "l": LONG, "f": FLOAT, "F": DOUBLE, "d": DATE,
                 "M": MONTH, "t": TIME, "m": MINUTE, "s": SECOND, "D": DATETIME, "T": TIMESTAMP, "n": NANOTIME,
                 "N": NANOTIMESTAMP}
TYPED_NULL = re.compile(r"00([bchilfFdMtmsDTnN])(?![A-Za-z_0-9])")
TEMPORAL_SUFFIX = re.compile(r"[dMtmsDTnN](?![A-Za-z_0-9])")
WORD = re.compile(r"\w+")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_!]*")
SYMBOL_NAME = re.compile(r"[A-Za-z0-9_.]*")


class Token:
    """kind: number ((digits, suffix)), temporal ((type, raw value, suffix type or None)),
    null (a typed NULL: its type), string, char (a one-character '...': its code), symbols, ident,
    kw (lowercase null reads as NULL), op, nl or eof; text: the source text (what error messages
    quote)."""
    __slots__ = ("kind", "value", "line", "text")

    def __init__(self, kind, value, line, text=""):
        self.kind, self.value, self.line, self.text = kind, value, line, text

    def __repr__(self):
        return f"{self.kind}:{self.value!r}"


def syntax_error(line, message):
    return ScriptError(f"Syntax Error: [line #{line}] {message}")


# Literals a space-separated vector is written with: a glued minus after one of them, with blank
# between, signs the next element (1 -2 3, 0c 127c -127c, 2024.01.01 -1, true -1).
VECTOR_ELEMENT_TOKENS = {"number", "null", "temporal", "string", "char"}


def _negative_number(tokens, text, i, spaced) -> bool:
    """Whether the '-' at i is the sign of the number literal glued to it. It is where no operand ends
    before it (-10.1 NULL 5.1, 2 * -3, [1, -1], 1 - -1) and, after whitespace or a comment, where a
    literal ends before it (the next element of a space-separated vector). After a name, a closing
    bracket or a `symbol it subtracts (x -1, f(x) -1, a[0] -1), as it does written apart (1 - 1) or
    against both sides (1-1)."""
    if i + 1 >= len(text) or not text[i + 1].isdigit():
        return False
    if NUMBER.match(text, i + 1) is None or TYPED_NULL.match(text, i + 1) or match_temporal(text, i + 1):
        return False
    last = tokens[-1] if tokens else None
    literal_keyword = last is not None and last.kind == "kw" and last.value in ("true", "false", "NULL")
    if last is None or (last.kind == "op" and last.value not in (")", "]", "}")) or \
            (last.kind in ("kw", "nl") and not literal_keyword):
        return True
    return spaced and (last.kind in VECTOR_ELEMENT_TOKENS or literal_keyword)


def tokenize(text: str):
    tokens = []
    i, line, depth = 0, 1, []
    n = len(text)
    gap = False      # whitespace or a comment since the last token

    def emit(token):
        nonlocal gap
        gap = False
        tokens.append(token)

    while i < n:
        c = text[i]
        if c == "\n":
            if not depth or depth[-1] == "{":
                emit(Token("nl", None, line))
            gap = True
            line += 1
            i += 1
            continue
        if c in " \t\r":
            gap = True
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
            gap = True
            continue
        if c == "-" and _negative_number(tokens, text, i, gap):
            m = NUMBER.match(text, i + 1)
            emit(Token("number", ("-" + m.group(1), m.group(2)), line, "-" + m.group(0)))
            i = m.end()
            continue
        if c.isdigit():
            m = TYPED_NULL.match(text, i)
            if m:
                emit(Token("null", TYPE_SUFFIXES[m.group(1)], line, m.group(0)))
                i = m.end()
                continue
            hit = match_temporal(text, i)
            if hit is not None:
                end = hit[2]
                suffix = TEMPORAL_SUFFIX.match(text, end)
                target = None
                if suffix:
                    target = TYPE_SUFFIXES[suffix.group(0)]
                    end = suffix.end()
                emit(Token("temporal", (hit[0], hit[1], target), line, text[i:end]))
                i = end
                continue
            m = NUMBER.match(text, i)
            if m:
                emit(Token("number", (m.group(1), m.group(2)), line, m.group(0)))
                i = m.end()
                continue
            raise syntax_error(line, f"Cannot recognize the token {WORD.match(text, i).group(0)}")
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
            value = "".join(buf)
            if quoted_name:
                emit(Token("ident", value, line, text[i:j + 1]))
            elif c == "'" and len(value) == 1 and ord(value) < 128:     # 'a' is a CHAR, 'ab' a STRING
                emit(Token("char", ord(value), line, text[i:j + 1]))
            else:
                emit(Token("string", value, line, text[i:j + 1]))
            i = j + 1
            continue
        if c == "`":
            start, names = i, []
            while i < n and text[i] == "`":
                m = SYMBOL_NAME.match(text, i + 1)
                names.append(m.group(0))
                i = m.end()
            emit(Token("symbols", names, line, text[start:i]))
            continue
        m = IDENT.match(text, i)
        if m:
            word = m.group(0)
            if word in KEYWORDS:
                emit(Token("kw", "NULL" if word == "null" else word, line, word))
            else:
                emit(Token("ident", word, line, word))
            i = m.end()
            continue
        for op in OPERATORS:
            if text.startswith(op, i):
                if op in "([{":
                    depth.append(op)
                elif op in ")]}" and depth:
                    depth.pop()
                emit(Token("op", op, line, op))
                i += len(op)
                break
        else:
            raise syntax_error(line, f"Cannot recognize the token {c}")
    emit(Token("eof", None, line))
    return tokens
