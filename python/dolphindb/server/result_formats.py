"""The Python-client result protocols (PROTOCOL.md §7): PICKLE and ARROW replies for tables and
matrices.

Both are answered with the flag word's form byte + 0x20 and a stream the official client reads
natively. The pickle stream is written here opcode by opcode (not with ``pickle.dumps``): SYMBOL
columns travel in the DolphinDB-specific 0xF1 section (each distinct string once, then an index
array), and the objects it rebuilds are the ones OFFICIAL_API.md §4.3 documents — a DataFrame of
numpy arrays (ints with nulls as float64, temporal as datetime64[ns], text and 128-bit types as
object), a list of arrays with ``pickleTableToList``, ``[array, rowLabels, colLabels]`` for a
matrix. What these protocols cannot carry (BLOB or DECIMAL columns, other forms) is answered in
the DDB encoding, as a real server does; the client handles both.

The official client also *uploads* a pyarrow.Table under PROTOCOL_ARROW as form 0x26 + an Arrow
IPC stream; ``read_arrow_upload`` reads it back into a Table with the reverse type mapping.
"""
from __future__ import annotations

import struct
from typing import Optional

import numpy as np

from .values import (
    ARRAY_BASE, BLOB, BOOL, CHAR, DATE, DATEHOUR, DATEMINUTE, DATETIME, DECIMAL32, DECIMAL64,
    DECIMAL128, DOUBLE, FLOAT, INT, INT128, IPADDR, LONG, MINUTE, MONTH, NANOTIME, NANOTIMESTAMP,
    NULL_INT, SECOND, SHORT, STRING, SYMBOL, TIME, TIMESTAMP, UUID, ArrayVector, Matrix, Scalar,
    Table, Vector,
)

PICKLED_FORM = 0x20          # added to the form byte of a PICKLE/ARROW reply's flag word
TABLE_FORM, MATRIX_FORM = 6, 3
_NANOS = {DATE: 86_400 * 10**9, TIME: 10**6, MINUTE: 60 * 10**9, SECOND: 10**9, DATETIME: 10**9,
          TIMESTAMP: 10**6, NANOTIME: 1, NANOTIMESTAMP: 1, DATEHOUR: 3_600 * 10**9,
          DATEMINUTE: 60 * 10**9}
TEMPORAL = set(_NANOS) | {MONTH}
INTEGRAL = {CHAR, SHORT, INT, LONG}
NOT_PICKLED = {BLOB, DECIMAL32, DECIMAL64, DECIMAL128}


# ------------------------------------------------------------------- DolphinDB -> numpy
def _nanoseconds(t: int, raw: np.ndarray) -> np.ndarray:
    """datetime64[ns] of a temporal vector's raw units (null -> NaT)."""
    null = raw == NULL_INT[t]
    if t == MONTH:
        months = raw.astype(np.int64) - 1970 * 12
        out = months.astype("datetime64[M]").astype("datetime64[ns]")
    else:
        out = (raw.astype(np.int64) * _NANOS[t]).view("datetime64[ns]")
    out[null] = np.datetime64("NaT")
    return out


def _text_of_128(t: int, data) -> np.ndarray:
    from .lang.vals import format_scalar
    return np.array([format_scalar(Scalar(t, int(x))) for x in data], dtype=object)


def to_numpy(t: int, data) -> np.ndarray:
    """One vector's elements as the numpy array the official client builds (§4.3)."""
    if t in TEMPORAL:
        return _nanoseconds(t, np.asarray(data))
    if t in INTEGRAL:
        null = data == NULL_INT[t]
        return np.where(null, np.nan, data.astype(np.float64)) if null.any() else data
    if t == BOOL:
        null = data == NULL_INT[BOOL]
        if null.any():
            out = np.empty(len(data), dtype=object)
            out[:] = [None if n else bool(x) for x, n in zip(data, null)]
            return out
        return data.astype(np.bool_)
    if t in (FLOAT, DOUBLE):
        return data
    if t in (STRING, SYMBOL):
        return np.asarray(data, dtype=object)
    if t in (UUID, IPADDR, INT128):
        return _text_of_128(t, data)
    raise TypeError(t)


def _column_to_numpy(col) -> np.ndarray:
    if isinstance(col, ArrayVector):
        elem = col.type - ARRAY_BASE
        values = to_numpy(elem, col.values.data)
        out = np.empty(len(col), dtype=object)
        out[:] = [values[a:b] for a, b in zip(col.offsets[:-1], col.offsets[1:])]
        return out
    return to_numpy(col.type, col.data)


def _picklable(t: int) -> bool:
    elem = t - ARRAY_BASE if t >= ARRAY_BASE else t
    return elem not in NOT_PICKLED and (elem in TEMPORAL or elem in INTEGRAL or elem in
                                        (BOOL, FLOAT, DOUBLE, STRING, SYMBOL, UUID, IPADDR, INT128))


# ------------------------------------------------------------------------- pickle writer
class _Global:
    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name


class _Call:
    """callable(*args), then BUILD with state when given: what __reduce__ describes."""
    __slots__ = ("func", "args", "state")

    def __init__(self, func, args: tuple, state=None):
        self.func, self.args, self.state = func, args, state


class _SymbolList:
    """A list of strings written as a 0xF1 symbol section: distinct strings, then indices."""
    __slots__ = ("strings",)

    def __init__(self, strings):
        self.strings = strings


_MULTIARRAY = "numpy._core.multiarray" if int(np.__version__.split(".")[0]) >= 2 else "numpy.core.multiarray"
_NDARRAY = _Global("numpy", "ndarray")


class PickleWriter:
    """Protocol-4 opcodes for the few object shapes a result needs; no memo is used."""

    def __init__(self):
        self.out = bytearray(b"\x80\x04")

    def finish(self) -> bytes:
        self.out += b"."
        return bytes(self.out)

    def save(self, obj) -> None:
        out = self.out
        if obj is None:
            out += b"N"
        elif obj is True or obj is False:
            out += b"\x88" if obj else b"\x89"
        elif isinstance(obj, int):
            self._int(obj)
        elif isinstance(obj, float):
            out += b"G" + struct.pack(">d", obj)
        elif isinstance(obj, str):
            self._str(obj)
        elif isinstance(obj, (bytes, bytearray, memoryview)):
            self._bytes(bytes(obj))
        elif isinstance(obj, tuple):
            if not obj:
                out += b")"
                return
            out += b"("
            for x in obj:
                self.save(x)
            out += b"t"
        elif isinstance(obj, list):
            out += b"]"
            if obj:
                out += b"("
                if not self._str_run(obj):
                    for x in obj:
                        self.save(x)
                out += b"e"
        elif isinstance(obj, dict):
            out += b"}"
            if obj:
                out += b"("
                for k, v in obj.items():
                    self.save(k)
                    self.save(v)
                out += b"u"
        elif isinstance(obj, _Global):
            out += b"c" + obj.module.encode() + b"\n" + obj.name.encode() + b"\n"
        elif isinstance(obj, _Call):
            self.save(obj.func)
            self.save(obj.args)
            out += b"R"
            if obj.state is not None:
                self.save(obj.state)
                out += b"b"
        elif isinstance(obj, _SymbolList):
            self._symbols(obj.strings)
        elif isinstance(obj, np.ndarray):
            self.save(_ndarray(obj))
        else:
            raise TypeError(f"cannot pickle {type(obj).__name__}")

    def _int(self, i: int) -> None:
        if 0 <= i < 256:
            self.out += b"K" + bytes((i,))
        elif 0 <= i < 65536:
            self.out += b"M" + struct.pack("<H", i)
        elif -(1 << 31) <= i < (1 << 31):
            self.out += b"J" + struct.pack("<i", i)
        else:
            raw = i.to_bytes((i.bit_length() + 8) // 8, "little", signed=True)
            self.out += b"\x8a" + bytes((len(raw),)) + raw

    def _str(self, s: str) -> None:
        raw = s.encode("utf-8", "surrogatepass")
        if len(raw) < 256:
            self.out += b"\x8c" + bytes((len(raw),)) + raw
        else:
            self.out += b"X" + struct.pack("<I", len(raw)) + raw

    def _str_run(self, items) -> bool:
        """A list of short strs (a text column) as SHORT_BINUNICODE records, built with numpy
        instead of one append per string; False (nothing written) for anything else."""
        if len(items) < 64:
            return False
        try:
            joined = "".join(items)
        except TypeError:
            return False                      # not all str
        if joined.isascii():                  # a str's length is its UTF-8 length
            lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
            raw = joined.encode("ascii")
        else:
            encoded = [x.encode("utf-8", "surrogatepass") for x in items]
            lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
            raw = b"".join(encoded)
        if len(lengths) and lengths.max() >= 256:
            return False
        data = np.frombuffer(raw, dtype=np.uint8)
        starts = np.concatenate(([0], np.cumsum(lengths + 2)[:-1]))
        record = np.empty(int((lengths + 2).sum()), dtype=np.uint8)
        payload = np.ones(len(record), dtype=bool)
        payload[starts] = False
        payload[starts + 1] = False
        record[starts] = 0x8C
        record[starts + 1] = lengths
        record[payload] = data
        self.out += record.tobytes()
        return True

    def _bytes(self, raw: bytes) -> None:
        if len(raw) < 256:
            self.out += b"C" + bytes((len(raw),)) + raw
        elif len(raw) < (1 << 32):
            self.out += b"B" + struct.pack("<I", len(raw)) + raw
        else:
            self.out += b"\x8e" + struct.pack("<Q", len(raw)) + raw

    def _symbols(self, strings) -> None:
        self.out += b"]"
        if len(strings) == 0:
            return
        distinct, codes = np.unique(np.asarray(strings, dtype=object).astype(str), return_inverse=True)
        self.out += b"(\xf1"
        for s in distinct:
            self._str(str(s))
        # The opcode fixes the index width: SHORT_BINBYTES 1-byte, BINBYTES 4-byte, BINBYTES8 8-byte.
        if len(codes) < 256 and len(distinct) <= 256:
            self.out += b"C" + bytes((len(codes),)) + codes.astype("<u1").tobytes()
        elif len(codes) * 4 < (1 << 32):
            self.out += b"B" + struct.pack("<I", len(codes) * 4) + codes.astype("<u4").tobytes()
        else:
            self.out += b"\x8e" + struct.pack("<Q", len(codes) * 8) + codes.astype("<u8").tobytes()
        self.out += b"e"


def _dtype(dt: np.dtype) -> _Call:
    if dt.kind == "M":
        unit = np.datetime_data(dt)[0].encode()
        return _Call(_Global("numpy", "dtype"), ("M8", False, True),
                     (4, "<", None, None, None, -1, -1, 0, (None, (unit, 1, 1, 1))))
    if dt.kind == "O":
        return _Call(_Global("numpy", "dtype"), ("O8", False, True), (3, "|", None, None, None, -1, -1, 63))
    order = "|" if dt.itemsize == 1 else "<"
    return _Call(_Global("numpy", "dtype"), (dt.kind + str(dt.itemsize), False, True),
                 (3, order, None, None, None, -1, -1, 0))


def _ndarray(a: np.ndarray, symbols: bool = False) -> _Call:
    """numpy's own reduction of an array: _reconstruct(ndarray, (0,), b'b') + BUILD state."""
    fortran = a.ndim > 1 and a.flags.f_contiguous and not a.flags.c_contiguous
    if a.dtype == object:
        flat = a.ravel(order="F" if fortran else "C")
        payload = _SymbolList(flat) if symbols else list(flat)
    else:
        payload = a.tobytes(order="F" if fortran else "C")
    return _Call(_Global(_MULTIARRAY, "_reconstruct"), (_NDARRAY, (0,), b"b"),
                 (1, tuple(a.shape), _dtype(a.dtype), fortran, payload))


# ------------------------------------------------------------------------- PICKLE replies
def _table_pickle(table: Table, as_list: bool) -> Optional[bytes]:
    if not all(_picklable(c.type) for c in table.columns.values()):
        return None
    arrays = {}
    for name, col in table.columns.items():
        if as_list and isinstance(col, ArrayVector):
            lengths = np.diff(col.offsets)
            if len(lengths) and (lengths != lengths[0]).any():
                return None     # a 2-D array needs rows of one length
            values = to_numpy(col.type - ARRAY_BASE, col.values.data)
            arrays[name] = _ndarray(values.reshape(len(col), -1 if len(col) else 0))
            continue
        a = _column_to_numpy(col)
        # Bare arrays, as the official client's readers see them: pandas infers a text
        # column's dtype (object on pandas 2, str on pandas 3), like the official client shows.
        arrays[name] = _ndarray(a, symbols=col.type == SYMBOL)
    body = list(arrays.values()) if as_list else _Call(_Global("pandas", "DataFrame"), (arrays,))
    w = PickleWriter()
    w.save(body)
    return w.finish()


def _matrix_pickle(m: Matrix) -> Optional[bytes]:
    if not _picklable(m.type):
        return None
    rows, cols = m.data.shape
    flat = to_numpy(m.type, m.data.ravel(order="F"))
    if flat.dtype == object:
        # The official client transposes object matrices: send them column by column.
        data = flat.reshape(cols, rows)
    else:
        data = flat.reshape(rows, cols, order="F")
    labels = []
    for lab in (m.row_labels, m.col_labels):
        if lab is None:
            labels.append(None)
        elif isinstance(lab, Vector) and _picklable(lab.type):
            labels.append(_ndarray(to_numpy(lab.type, lab.data)))
        else:
            return None
    w = PickleWriter()
    w.save([_ndarray(data), *labels])
    return w.finish()


def pickle_reply(value, as_list: bool) -> Optional[bytes]:
    """The flag word and pickle stream of a table or matrix; None: answer in DDB encoding."""
    if isinstance(value, Table):
        body, form = _table_pickle(value, as_list), TABLE_FORM
    elif isinstance(value, Matrix):
        body, form = _matrix_pickle(value), MATRIX_FORM
    else:
        return None
    if body is None:
        return None
    return struct.pack("<H", (form + PICKLED_FORM) << 8) + body


# -------------------------------------------------------------------------- ARROW replies
def _arrow_array(col):
    import pyarrow as pa
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
        return pa.array(list(_text_of_128(t, data)), type=pa.utf8())
    if t in (DECIMAL32, DECIMAL64, DECIMAL128):
        import decimal
        null = NULL_INT.get(t, -(1 << 127))
        quantum = decimal.Decimal(1).scaleb(-col.scale)
        items = [None if int(x) == null else decimal.Decimal(int(x)).scaleb(-col.scale).quantize(quantum)
                 for x in data]
        return pa.array(items, type=pa.decimal128(38, col.scale))
    if t in (FLOAT, DOUBLE):
        return pa.array(data, from_pandas=True)
    raw = np.asarray(data)
    mask = raw == NULL_INT[t] if t in NULL_INT else None
    if t == BOOL:
        return pa.array(raw.astype(bool), mask=mask)
    if t in INTEGRAL:
        return pa.array(raw, mask=mask)
    if t in (DATE, MONTH):
        days = (_nanoseconds(t, raw).astype("datetime64[D]").astype(np.int64)).astype(np.int32)
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
    import pyarrow as pa
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
    import pyarrow as pa
    import pyarrow.compute as pc
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
        return Vector(t, np.asarray(arr.to_numpy(zero_copy_only=False), dtype=_storage(t)))
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
    from .values import STORAGE_DTYPE
    return STORAGE_DTYPE[t]


def read_arrow_upload(reader) -> Table:
    """A pyarrow.Table the official client uploads under PROTOCOL_ARROW (flag word form 0x26,
    then an Arrow IPC stream), as a Table. Raises ValueError for what no column type can hold."""
    import pyarrow as pa
    try:
        table = pa.ipc.open_stream(_StreamFile(reader)).read_all()
    except (pa.ArrowException, OSError) as e:     # pyarrow reports bad flatbuffers as OSError
        raise ValueError(f"malformed Arrow upload: {e}") from None
    columns = {}
    for name, chunked in zip(table.column_names, table.columns):
        columns[name] = _values_from_arrow(chunked.combine_chunks(), name)
    return Table(columns)
