"""The ARROW result protocol (PROTOCOL.md §7) and Arrow uploads.

A table result is answered with the flag word's form byte + 0x20 and an Arrow IPC stream. The
official client also *uploads* a pyarrow.Table under PROTOCOL_ARROW as form 0x26 + an Arrow IPC
stream; ``read_arrow_upload`` reads it back into a Table with the reverse type mapping.
"""
from __future__ import annotations

import decimal
import struct
from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .numpy_views import INTEGRAL, PICKLED_FORM, TABLE_FORM, nanoseconds, text_of_128
from ..model.values import (ARRAY_BASE, BLOB, BOOL, CHAR, DATE, DATEHOUR, DATEMINUTE, DATETIME, DECIMAL128,
                            DECIMAL32, DECIMAL64, DOUBLE, FLOAT, INT, INT128, IPADDR, LONG, MINUTE, MONTH, NANOTIME,
                            NANOTIMESTAMP, NULL_INT, SECOND, SHORT, STORAGE_DTYPE, STRING, SYMBOL, TIME, TIMESTAMP,
                            UUID, ArrayVector, Table, Vector, null_of)


# -------------------------------------------------------------------------- ARROW replies
def _arrow_array(col):
    if isinstance(col, ArrayVector):
        values = _arrow_array(col.values)
        offsets = pa.array(col.offsets.astype(np.int32), type=pa.int32())
        return pa.ListArray.from_arrays(offsets, values)
    t, data = col.type, col.data
    if t in (STRING, SYMBOL):
        arr = pa.array(list(data), type=pa.utf8())
        return arr.dictionary_encode() if t == SYMBOL else arr
    if t == BLOB:
        return pa.array(list(data), type=pa.binary())
    if t in (UUID, INT128):
        return pa.array([int(x).to_bytes(16, "big") for x in data], type=pa.binary(16))
    if t == IPADDR:
        return pa.array(list(text_of_128(t, data)), type=pa.utf8())
    if t in (DECIMAL32, DECIMAL64, DECIMAL128):
        null = NULL_INT.get(t, -(1 << 127))
        quantum = decimal.Decimal(1).scaleb(-col.scale)
        items = [None if int(x) == null else decimal.Decimal(int(x)).scaleb(-col.scale).quantize(quantum)
                 for x in data]
        return pa.array(items, type=pa.decimal128(38, col.scale))
    if t in (FLOAT, DOUBLE):
        return pa.array(data, mask=np.asarray(data) == null_of(t))
    raw = np.asarray(data)
    mask = raw == NULL_INT[t] if t in NULL_INT else None
    if t == BOOL:
        return pa.array(raw.astype(bool), mask=mask)
    if t in INTEGRAL:
        return pa.array(raw, mask=mask)
    if t in (DATE, MONTH):
        days = (nanoseconds(t, raw).astype("datetime64[D]").astype(np.int64)).astype(np.int32)
        return pa.array(days, type=pa.date32(), mask=mask)
    if t == TIME:
        return pa.array(raw, type=pa.time32("ms"), mask=mask)
    if t in (MINUTE, SECOND):
        secs = raw * 60 if t == MINUTE else raw
        return pa.array(secs.astype(np.int32), type=pa.time32("s"), mask=mask)
    if t == NANOTIME:
        return pa.array(raw, type=pa.time64("ns"), mask=mask)
    if t in (DATETIME, DATEHOUR, DATEMINUTE):
        secs = raw.astype(np.int64) * {DATETIME: 1, DATEHOUR: 3600, DATEMINUTE: 60}[t]
        return pa.array(secs, type=pa.timestamp("s"), mask=mask)
    if t == TIMESTAMP:
        return pa.array(raw, type=pa.timestamp("ms"), mask=mask)
    if t == NANOTIMESTAMP:
        return pa.array(raw, type=pa.timestamp("ns"), mask=mask)
    raise TypeError(t)


def arrow_reply(value) -> Optional[bytes]:
    """The flag word and Arrow IPC stream of a table; None: answer in DDB encoding."""
    if not isinstance(value, Table):
        return None
    try:
        arrays = [_arrow_array(c) for c in value.columns.values()]
    except TypeError:
        return None
    table = pa.Table.from_arrays(arrays, names=list(value.columns))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return struct.pack("<H", (TABLE_FORM + PICKLED_FORM) << 8) + sink.getvalue().to_pybytes()


# -------------------------------------------------------------------------- ARROW uploads
class _StreamFile:
    """The request reader as the read-only file pyarrow's stream reader pulls from: it asks for
    each message's exact sizes, so nothing past the stream's end-of-stream marker is consumed."""

    closed = False

    def __init__(self, reader):
        self._reader = reader
        self._position = 0

    MAX_READ = 256 << 20     # one Arrow message; a lying length must not make us buffer more

    def read(self, n=-1) -> bytes:
        if n is None or n < 0:
            raise OSError("an Arrow upload stream cannot be read to its end")
        if n > self.MAX_READ:
            raise OSError(f"an Arrow message of {n} bytes exceeds the {self.MAX_READ} byte limit")
        data = self._reader.read_exact(n)
        if self._position == 0 and data[:4] != b"\xff\xff\xff\xff"[:len(data)]:
            raise OSError("not an Arrow IPC stream (no continuation marker)")
        self._position += len(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        pass


def _values_from_arrow(arr, column: str):
    """One pyarrow Array -> a Vector or ArrayVector (the reverse of _arrow_array's mapping)."""
    typ = arr.type
    valid = None if arr.null_count == 0 else np.asarray(arr.is_valid().to_numpy(zero_copy_only=False))

    def fixed(t, values):
        out = np.asarray(values).astype(np.dtype(_storage(t)), copy=True)
        if valid is not None:
            out[~valid] = NULL_INT[t]
        return Vector(t, out)

    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        flat = _values_from_arrow(arr.flatten(), column)   # a null row becomes an empty row
        offsets = np.asarray(arr.offsets.to_numpy(), dtype=np.int64)
        if isinstance(flat, ArrayVector):
            raise ValueError(f"column {column!r}: nested lists are not supported")
        return ArrayVector(ARRAY_BASE + flat.type, offsets - offsets[0], flat)
    if pa.types.is_dictionary(typ):
        return Vector(SYMBOL, np.array([s or "" for s in arr.cast(typ.value_type).to_pylist()], dtype=object))
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return Vector(STRING, np.array([s or "" for s in arr.to_pylist()], dtype=object))
    if pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
        return Vector(BLOB, np.array([b or b"" for b in arr.to_pylist()], dtype=object))
    if pa.types.is_fixed_size_binary(typ) and typ.byte_width == 16:
        return Vector(UUID, np.array([0 if b is None else int.from_bytes(b, "big") for b in arr.to_pylist()],
                                     dtype=object))
    if pa.types.is_decimal(typ):
        ints = [None if d is None else int(d.scaleb(typ.scale)) for d in arr.to_pylist()]
        return Vector(DECIMAL128, np.array([-(1 << 127) if i is None else i for i in ints], dtype=object),
                      scale=typ.scale)
    if pa.types.is_boolean(typ):
        return fixed(BOOL, arr.fill_null(False).to_numpy(zero_copy_only=False))
    if pa.types.is_floating(typ) and typ.bit_width in (32, 64):
        t = FLOAT if typ.bit_width == 32 else DOUBLE
        return Vector(t, np.asarray(arr.fill_null(null_of(t)).to_numpy(zero_copy_only=False), dtype=_storage(t)))
    if pa.types.is_signed_integer(typ):
        t = {8: CHAR, 16: SHORT, 32: INT, 64: LONG}[typ.bit_width]
        return fixed(t, arr.fill_null(0).to_numpy())
    storage = pc.cast(arr, pa.int64() if typ.bit_width == 64 else pa.int32()).fill_null(0).to_numpy()
    if pa.types.is_date32(typ):
        return fixed(DATE, storage)
    if pa.types.is_date64(typ):
        return fixed(DATE, storage // 86_400_000)
    if pa.types.is_time32(typ):
        return fixed(SECOND if typ.unit == "s" else TIME, storage)
    if pa.types.is_time64(typ):
        return fixed(NANOTIME, storage * (1000 if typ.unit == "us" else 1))
    if pa.types.is_timestamp(typ):
        if typ.unit == "s":
            return fixed(DATETIME, storage)
        if typ.unit == "ms":
            return fixed(TIMESTAMP, storage)
        return fixed(NANOTIMESTAMP, storage * (1000 if typ.unit == "us" else 1))
    raise ValueError(f"column {column!r}: Arrow type {typ} has no DolphinDB counterpart")


def _storage(t: int):
    return STORAGE_DTYPE[t]


def read_arrow_upload(reader) -> Table:
    """A pyarrow.Table the official client uploads under PROTOCOL_ARROW (flag word form 0x26,
    then an Arrow IPC stream), as a Table. Raises ValueError for what no column type can hold."""
    try:
        table = pa.ipc.open_stream(_StreamFile(reader)).read_all()
    except (pa.ArrowException, OSError) as e:     # pyarrow reports bad flatbuffers as OSError
        raise ValueError(f"malformed Arrow upload: {e}") from None
    columns = {}
    for name, chunked in zip(table.column_names, table.columns):
        columns[name] = _values_from_arrow(chunked.combine_chunks(), name)
    return Table(columns)
