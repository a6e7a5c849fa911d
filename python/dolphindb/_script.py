"""Script text shared by the data API (Session catalog methods, Table, Database): quoting of
names and values, generated variable names, and the queue of temporary variables to free.

Every value that comes from Python and lands in a script goes through `string_literal` (or one
of the helpers built on it), so a path or a table name such as ``x"); dropDatabase("dfs://y``
stays a string. A plain value produces exactly the official client's text.
"""
from __future__ import annotations

import collections
import logging
import re
import time
import uuid
from typing import Iterable, List, Sequence, Union

log = logging.getLogger("dolphindb")

_ESCAPES = {"\\": "\\\\", '"': '\\"', "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}
_NEEDS_ESCAPE = re.compile(r"[\\\"'\n\r\t\0]")
# A partition value written as DolphinDB text: a quoted string, or a bare temporal / numeric token
# (2024.01.01, 2024.01M, 2024.01.01T10, 5, -3.5). Anything else would be pasted code.
_PARTITION_TOKEN = re.compile(r"""^(?:'[^'\\\n\r]*'|"[^"\\\n\r]*"|[-+]?[\w.:]+)$""")


def is_identifier(name: str) -> bool:
    """The official client's rule for a name usable bare in a script: a letter, then letters,
    digits or underscores (Unicode letters and digits included)."""
    if not isinstance(name, str):
        raise TypeError(f"a name must be a str, not {type(name).__name__}")
    if not name:
        raise RuntimeError("The column name cannot be empty.")
    return name[0].isalpha() and all(c.isalnum() or c == "_" for c in name)


def string_literal(value: str, quote: str = '"') -> str:
    """`value` as a DolphinDB string literal: escaped only when it has to be, so a plain value
    reads exactly as the official client writes it."""
    if not isinstance(value, str):
        raise TypeError(f"expected a str, not {type(value).__name__}")
    if _NEEDS_ESCAPE.search(value):
        value = "".join(_ESCAPES.get(c, c) for c in value)
    return quote + value + quote


def column_ref(name: str) -> str:
    """A column name in SQL: bare when it is an identifier, else ``_"name"``."""
    return name if is_identifier(name) else "_" + string_literal(name)


_UNESCAPES = {v[1]: k for k, v in _ESCAPES.items()}


def column_name(ref: str) -> str:
    """The column name a `column_ref` (or the official client's ``_"name"``) stands for."""
    if len(ref) >= 3 and ref.startswith('_"') and ref.endswith('"'):
        return re.sub(r"\\(.)", lambda m: _UNESCAPES.get(m.group(1), m.group(1)), ref[2:-1])
    return ref


def symbol(name: str) -> str:
    """A name as a one-element STRING: `` `name `` when it can be written so, else quoted."""
    return "`" + name if is_identifier(name) else string_literal(name)


def symbols(names: Union[str, Sequence[str]]) -> str:
    """Names as a STRING vector: `` `a`b `` when every name can be written so, else ``["a","b"]``."""
    if isinstance(names, str):
        return symbol(names)
    names = list(names)
    if not names:
        return "string([])"
    if all(isinstance(n, str) and is_identifier(n) for n in names):
        return "".join("`" + n for n in names)
    return "[" + ",".join(string_literal(n) for n in names) + "]"


def identifier(name: str, what: str = "variable") -> str:
    """`name` where only a bare identifier is valid (a variable, a handle); anything else raises."""
    if not isinstance(name, str) or not name or not is_identifier(name):
        raise ValueError(f"{name!r} is not a valid DolphinDB {what} name")
    return name


def partition_token(value) -> str:
    """One element of a partition list that the official client pastes as DolphinDB text
    (dropPartition paths, loadTable partitions): numbers as str(); strings must already be a
    single literal, so a value can never smuggle in a second statement."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) and not hasattr(value, "dtype"):
        raise TypeError(f"a partition must be a str or a number, not {type(value).__name__}")
    text = str(value)
    if not _PARTITION_TOKEN.match(text):
        raise ValueError(f"{text!r} is not a single DolphinDB literal (quote a path: \"'/20240101'\")")
    return text


def temp_table_name(prefix: str = None) -> str:
    """`TMP_TBL_` + 8 hex digits, prefixed with `<prefix>_` when it is an identifier (as the
    official client names handles, e.g. `pt_TMP_TBL_03c3bf4c`)."""
    tail = "TMP_TBL_" + uuid.uuid4().hex[:8]
    return f"{prefix}_{tail}" if prefix and is_identifier(prefix) else tail


def temp_db_name() -> str:
    return "TMP_DB_" + uuid.uuid4().hex[:8] + "DB"


def is_temporary(name: str) -> bool:
    return "TMP_TBL_" in name or name.startswith("TMP_DB_")


class Temporaries:
    """Names of a session's temporary server variables that nothing uses any more.

    `discard` is what a finalizer calls: a deque append, which never blocks and never touches
    the network, whatever thread the garbage collector runs in. The session frees the names with
    one `undef` request before one of its next requests, once `BATCH` names are waiting or the
    oldest has waited `MAX_AGE` seconds: a loop that makes and drops a Table per iteration costs
    one extra request per BATCH Tables instead of one per Table (the official client's
    `__del__` sends one, and blocks the collecting thread while it does), and a variable is held
    on the server for about MAX_AGE seconds at most while the session is in use."""

    BATCH = 32
    MAX_AGE = 1.0

    def __init__(self):
        self._pending: collections.deque = collections.deque()
        self._since = None     # monotonic time of the oldest waiting name

    def discard(self, name: str) -> None:
        if not self._pending:
            self._since = time.monotonic()
        self._pending.append(name)

    def __len__(self) -> int:
        return len(self._pending)

    def due(self) -> bool:
        if not self._pending:
            return False
        return len(self._pending) >= self.BATCH or time.monotonic() - (self._since or 0) >= self.MAX_AGE

    def take(self) -> List[str]:
        names = []
        while True:
            try:
                names.append(self._pending.popleft())
            except IndexError:
                return names

    def clear(self) -> None:
        self._pending.clear()

    @staticmethod
    def undef_script(names: Iterable[str]) -> str:
        names = list(names)
        if len(names) == 1:
            return f"undef({string_literal(names[0])}, VAR)"
        return "undef([" + ",".join(string_literal(n) for n in names) + "], VAR)"
