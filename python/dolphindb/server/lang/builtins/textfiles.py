"""loadText / ploadText / loadTextEx: a text file on the server's disk as a table.

Column types are inferred from the values as the real server does for the common cases:
integers INT (LONG beyond 32 bits), decimals DOUBLE, `true`/`false` BOOL, `2024.01.02` or
`2024-01-02` DATE, date-times DATETIME (TIMESTAMP / NANOTIMESTAMP with fractions), the rest
SYMBOL; an empty field is NULL. Reading the server's files is for administrators."""
from __future__ import annotations

import csv
import re

import numpy as np

from ...model.values import BOOL, DATE, DATETIME, DOUBLE, INT, LONG, NANOTIMESTAMP, SYMBOL, TIMESTAMP, Table
from ..registry import BUILTINS, builtin
from ...errors import ScriptError
from ...model.columns import V, to_str

_INTEGER = re.compile(r"^[-+]?\d+$")
_DECIMAL = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_DATE = re.compile(r"^(\d{4})[.-](\d{2})[.-](\d{2})$")
_DATETIME = re.compile(r"^(\d{4})[.-](\d{2})[.-](\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$")
_INT32 = (-(2**31) + 1, 2**31 - 1)


def _read_rows(ctx, name, filename, delimiter):
    server = getattr(ctx, "server", None)
    if server is None or not server.state.users.is_admin(ctx.user):
        # the server's files are not any logged-in user's to read
        raise ScriptError(f"Only administrators can execute function [{name}].")
    path = to_str(filename)
    sep = "," if delimiter is None else to_str(delimiter)
    if len(sep) != 1:
        raise ScriptError("The delimiter must be a single character.")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f, delimiter=sep))
    except FileNotFoundError:
        raise ScriptError(f"The file [{path}] doesn't exist.") from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ScriptError(f"Failed to read the file [{path}]: {e}") from None
    if not rows:
        raise ScriptError(f"The file [{path}] is empty.")
    header, body = rows[0], rows[1:]
    if any(len(r) != len(header) for r in body):
        raise ScriptError(f"The file [{path}] has rows with a different number of fields than its header.")
    return header, [[r[i] for r in body] for i in range(len(header))]


def _matches_all(pattern, values):
    present = [v for v in values if v != ""]
    return bool(present) and all(pattern.match(v) for v in present)


def _column(values):
    if _matches_all(_INTEGER, values):
        numbers = [int(v) if v else None for v in values]
        small = all(n is None or _INT32[0] <= n <= _INT32[1] for n in numbers)
        kind, null = (INT, -(2**31)) if small else (LONG, -(2**63))
        return V(kind, [null if n is None else n for n in numbers])
    if _matches_all(_DECIMAL, values):
        return V(DOUBLE, [float(v) if v else None for v in values])
    if all(v.lower() in ("true", "false", "") for v in values) and any(values):
        return V(BOOL, [-128 if not v else int(v.lower() == "true") for v in values])
    if _matches_all(_DATE, values):
        days = np.array([np.datetime64(v.replace(".", "-"), "D") if v else np.datetime64("NaT") for v in values])
        return V(DATE, np.where(np.isnat(days), -(2**31), days.astype(np.int64)).astype(np.int32))
    if _matches_all(_DATETIME, values):
        digits = max((len(m.group(7) or "") for m in (_DATETIME.match(v) for v in values if v)), default=0)
        kind, unit = (DATETIME, "s") if digits == 0 else (TIMESTAMP, "ms") if digits <= 3 else (NANOTIMESTAMP, "ns")
        stamps = np.array([np.datetime64(_iso(v), unit) if v else np.datetime64("NaT") for v in values])
        counts = np.where(np.isnat(stamps), np.iinfo(np.int64).min, stamps.astype(np.int64))
        if kind == DATETIME:
            counts = np.where(np.isnat(stamps), -(2**31), counts).astype(np.int32)
        return V(kind, counts)
    return V(SYMBOL, list(values))


def _iso(text):
    date, _, time = text.replace("T", " ").partition(" ")
    return date.replace(".", "-") + "T" + time


def _table(ctx, name, filename, delimiter) -> Table:
    header, columns = _read_rows(ctx, name, filename, delimiter)
    return Table({name: _column(values) for name, values in zip(header, columns)})


@builtin("loadText", 1, 2, system=True, aliases=("ploadText",))
def load_text(ctx, filename, delimiter=None):
    return _table(ctx, "loadText", filename, delimiter)


@builtin("loadTextEx", 4, 9, system=True)
def load_text_ex(ctx, dbHandle, tableName, partitionColumns, filename, delimiter=None, schema=None,
                 skipRows=None, transform=None, sortColumns=None):
    """Appends the file to the DFS table `tableName` of the database, creating the table from the
    file's columns first when it does not exist; returns the table."""
    if schema is not None or skipRows is not None or transform is not None:
        raise ScriptError("loadTextEx: schema, skipRows and transform are not supported by this server")
    data = _table(ctx, "loadTextEx", filename, delimiter)
    load_table = BUILTINS["loadTable"].fn
    try:
        target = load_table(ctx, dbHandle, tableName)
    except ScriptError:
        BUILTINS["createPartitionedTable"].fn(ctx, dbHandle, data, tableName, partitionColumns,
                                              sortColumns=sortColumns)
        target = load_table(ctx, dbHandle, tableName)
    BUILTINS["tableInsert"].fn(ctx, target, data)
    return target
