"""loadText / ploadText / loadTextEx: CSV files on the server's disk read into tables.

Parsed by pyarrow's CSV reader; the column types follow DolphinDB's inference for the common
cases: integers INT (LONG beyond 32 bits), floats DOUBLE, true/false BOOL, dates written
2024.01.02 or 2024-01-02 DATE, date-times DATETIME / TIMESTAMP / NANOTIMESTAMP by precision,
text SYMBOL when values repeat (fewer distinct values than half the rows), STRING otherwise."""
from __future__ import annotations

import numpy as np

from ..values import (BOOL, DATE, DATETIME, DOUBLE, INT, LONG, NANOTIMESTAMP, STRING, SYMBOL, TIMESTAMP, Table,
                      Vector, null_of)
from .registry import ScriptError, builtin
from .vals import S, to_str

_TIMESTAMP_FORMATS = ["%Y.%m.%d", "%Y-%m-%d", "%Y.%m.%dT%H:%M:%S", "%Y.%m.%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                      "%Y-%m-%d %H:%M:%S"]


def _column(arr):
    import pyarrow as pa
    import pyarrow.compute as pc
    t = arr.type
    if pa.types.is_integer(t):
        data = arr.to_numpy(zero_copy_only=False) if arr.null_count == 0 else \
            arr.fill_null(null_of(LONG)).to_numpy()
        valid = data != null_of(LONG)
        if not len(data) or (np.abs(data[valid]) < 2**31).all():
            return Vector(INT, np.where(valid, data, null_of(INT)).astype(np.int32))
        return Vector(LONG, data.astype(np.int64))
    if pa.types.is_floating(t):
        return Vector(DOUBLE, arr.to_numpy(zero_copy_only=False).astype(np.float64))
    if pa.types.is_boolean(t):
        return Vector(BOOL, arr.cast(pa.int8()).fill_null(null_of(BOOL)).to_numpy().astype(np.int8))
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        ns = arr.cast(pa.timestamp("ns")).cast(pa.int64()).fill_null(null_of(NANOTIMESTAMP)).to_numpy()
        valid = ns != null_of(NANOTIMESTAMP)
        for unit, type_id in ((86400 * 10**9, DATE), (10**9, DATETIME), (10**6, TIMESTAMP)):
            if (ns[valid] % unit == 0).all():
                out = np.where(valid, ns // unit, null_of(type_id))
                return Vector(type_id, out.astype(np.int32 if type_id in (DATE, DATETIME) else np.int64))
        return Vector(NANOTIMESTAMP, ns.astype(np.int64))
    text = pc.fill_null(arr.cast(pa.string()), "").to_numpy(zero_copy_only=False)
    data = np.empty(len(text), dtype=object)
    data[:] = text
    distinct = len(set(data.tolist()))
    return Vector(SYMBOL if distinct * 2 < max(len(data), 2) else STRING, data)


def read_csv(path: str, delimiter: str = ",") -> Table:
    import pyarrow.csv as csv
    try:
        table = csv.read_csv(path, parse_options=csv.ParseOptions(delimiter=delimiter),
                             convert_options=csv.ConvertOptions(timestamp_parsers=_TIMESTAMP_FORMATS))
    except FileNotFoundError:
        raise ScriptError(f"Failed to open file {path}") from None
    except OSError as e:
        raise ScriptError(f"Failed to read file {path}: {e}") from None
    return Table({name: _column(table.column(name).combine_chunks()) for name in table.column_names})


def _delimiter(v):
    text = "," if v is None else to_str(v)
    if len(text) != 1:
        raise ScriptError("The delimiter must be a single character.")
    return text


@builtin("loadText", 1, 5, aliases=("ploadText",))
def load_text(ctx, filename, delimiter=None, schema=None, skipRows=None, arrayDelimiter=None):
    return read_csv(to_str(filename), _delimiter(delimiter))


@builtin("loadTextEx", 4, 12)
def load_text_ex(ctx, dbHandle, tableName, partitionColumns, filename, delimiter=None, schema=None,
                 skipRows=None, transform=None, sortColumns=None, atomic=None, arrayDelimiter=None,
                 keepDuplicates=None):
    from . import dfs
    data = read_csv(to_str(filename), _delimiter(delimiter))
    db = dfs._database(ctx, dbHandle)
    name = to_str(tableName)
    if name not in db.tables:
        dfs.create_partitioned_table(ctx, dfs.DatabaseHandle(db), data, S(STRING, name), partitionColumns,
                                     sortColumns=sortColumns, keepDuplicates=keepDuplicates)
    table = dfs.load_table(ctx, dfs.DatabaseHandle(db), S(STRING, name))
    dfs.dfs_append(ctx, table, [data])
    return table


@builtin("clearAllCache", 0)
def clear_all_cache(ctx):
    from .dfs import engine_of
    engine_of(ctx).clear_cache()
    return None


@builtin("pnodeRun", 1, 2)
def pnode_run(ctx, f, addNodeToOutput=None):
    """Runs f on every data node; the nodes of this server share one state, so once is every node."""
    from .evaluator import apply
    return apply(ctx, f, [])
