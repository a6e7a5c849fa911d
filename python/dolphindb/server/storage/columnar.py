"""Partition files: one Arrow IPC file per written segment, zstd-compressed buffers.

Why Arrow IPC and not Parquet: a segment is read back into the server's numpy storage form, and an
IPC file is that form already (fixed-width buffers, offsets + bytes for text), so a read is a
decompression and a buffer view, and a small append costs one cheap file; Parquet's page
encodings and statistics would cost CPU on every write of a Python server and buy only a better
ratio for archives. Both compress with zstd. Files are written to a temporary name, fsynced and
renamed, so a reader or a restart never sees a torn segment."""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from ..files import atomic_write
from ..model.values import (ARRAY_BASE, BLOB, DECIMAL128, INT128, IPADDR, OBJECT_TYPES, STORAGE_DTYPE, UUID, VOID,
                            ArrayVector, Vector)

WIDE = (UUID, IPADDR, INT128, DECIMAL128)
_OPTIONS = ipc.IpcWriteOptions(compression="zstd")


def _to_arrow(col) -> pa.Array:
    if isinstance(col, ArrayVector):
        values = _to_arrow(Vector(col.values.type, col.values.data, col.values.scale))
        return pa.LargeListArray.from_arrays(pa.array(col.offsets, pa.int64()), values)
    t = col.type
    if col.data is None:
        return pa.nulls(len(col), pa.int8())
    if t in WIDE:
        signed = t == DECIMAL128
        raw = b"".join(int(v).to_bytes(16, "little", signed=signed) for v in col.data.tolist())
        return pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(col), [None, pa.py_buffer(raw)])
    if t == BLOB:
        return pa.array(col.data.tolist(), pa.large_binary())
    if t in OBJECT_TYPES:
        return pa.array(col.data, pa.large_string())
    return pa.array(np.ascontiguousarray(col.data))


def _from_arrow(arr: pa.Array, type_id: int, scale: int):
    if type_id >= ARRAY_BASE and type_id < 128:
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        offsets = arr.offsets.to_numpy().astype(np.int64)
        values = _from_arrow(arr.values, type_id - ARRAY_BASE, scale)
        base = offsets[0]
        return ArrayVector(type_id, offsets - base, Vector(values.type, values.data[base:offsets[-1]], scale))
    if type_id == VOID:
        return Vector(VOID, None, length_=len(arr))
    if type_id in WIDE:
        signed = type_id == DECIMAL128
        raw = b"".join(c.buffers()[1].to_pybytes()[c.offset * 16:(c.offset + len(c)) * 16]
                       for c in (arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]))
        data = np.empty(len(arr), dtype=object)
        data[:] = [int.from_bytes(raw[i:i + 16], "little", signed=signed) for i in range(0, len(raw), 16)]
        return Vector(type_id, data, scale)
    if type_id in OBJECT_TYPES:
        data = np.empty(len(arr), dtype=object)
        data[:] = arr.to_pylist() if type_id == BLOB else arr.to_numpy(zero_copy_only=False)
        return Vector(type_id, data, scale)
    data = arr.to_numpy(zero_copy_only=False).astype(STORAGE_DTYPE[type_id], copy=False)
    return Vector(type_id, data, scale)


def write_segment(path: Path, names: List[str], columns) -> None:
    """Writes a segment atomically: temp file, fsync, rename (the directory is synced by the caller's
    commit)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    batch = pa.record_batch([_to_arrow(c) for c in columns], names=[f"c{i}" for i in range(len(names))])

    def write(f):
        with ipc.new_file(f, batch.schema, options=_OPTIONS) as writer:
            writer.write_batch(batch)
    atomic_write(path, writer=write, sync_dir=False)


def read_segment(path: Path, types: List[Tuple[int, int]]):
    """The segment's columns, converted to the given (type, scale) per column."""
    table = ipc.open_file(pa.BufferReader(path.read_bytes())).read_all()
    return [_from_arrow(table.column(i), t, s) for i, (t, s) in enumerate(types)]

