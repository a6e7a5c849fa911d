"""The PICKLE result protocol (PROTOCOL.md §7): tables and matrices as a pickle stream.

Answered with the flag word's form byte + 0x20 and a stream the official client reads natively.
The stream is written here opcode by opcode (not with ``pickle.dumps``): SYMBOL columns travel in
the DolphinDB-specific 0xF1 section (each distinct string once, then an index array), and the
objects it rebuilds are the ones OFFICIAL_API.md §4.3 documents — a DataFrame of numpy arrays, a
list of arrays with ``pickleTableToList``, ``[array, rowLabels, colLabels]`` for a matrix. What
the protocol cannot carry (BLOB or DECIMAL columns, other forms) is answered in the DDB encoding,
as a real server does; the client handles both.
"""
from __future__ import annotations

import struct
from typing import Optional

import numpy as np

from .numpy_views import MATRIX_FORM, PICKLED_FORM, TABLE_FORM, column_to_numpy, picklable, to_numpy
from ..model.values import ARRAY_BASE, SYMBOL, ArrayVector, Matrix, Table, Vector


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
    if not all(picklable(c.type) for c in table.columns.values()):
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
        a = column_to_numpy(col)
        # Bare arrays, as the official client's readers see them: pandas infers a text
        # column's dtype (object on pandas 2, str on pandas 3), like the official client shows.
        arrays[name] = _ndarray(a, symbols=col.type == SYMBOL)
    body = list(arrays.values()) if as_list else _Call(_Global("pandas", "DataFrame"), (arrays,))
    w = PickleWriter()
    w.save(body)
    return w.finish()


def _matrix_pickle(m: Matrix) -> Optional[bytes]:
    if not picklable(m.type):
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
        elif isinstance(lab, Vector) and picklable(lab.type):
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
