"""Compressed vectors (PROTOCOL.md §6): the 28-byte header, LZ4 blocks and delta-of-delta.

Delta-of-delta is bit-level work; it is vectorized with numpy where the format allows (the
deltas, zigzag and code classes) and packs bits with Python integers per block.
"""
from __future__ import annotations

import struct

import lz4.block
import numpy as np

HEADER = struct.Struct("<iibbbbbbhiii")   # byteSize colCount version flags charCode method dataType unitLength reserved extra elementCount checkSum
BLOCK = 65536
LZ4, DELTA = 1, 2
MAX_BLOCKS = 1 << 20


def _error(msg):
    from .codec import CodecError
    return CodecError(msg)


def read_compressed(r):
    """Reads header + blocks after the `1a 01` flag; returns (header dict, payload bytes)."""
    (byte_size, col_count, version, flags, char_code, method, data_type, unit, reserved, extra,
     count, checksum) = HEADER.unpack(r.read_exact(HEADER.size))
    if byte_size < 20 or count < 0:
        raise _error("malformed compression header")
    if not flags & 1:
        raise _error("big-endian compressed data is not supported")
    left = byte_size - 20
    parts = []
    while left > 0:
        if len(parts) >= MAX_BLOCKS:
            raise _error("too many compressed blocks")
        size = struct.unpack("<i", r.read_exact(4))[0]
        if size < 0 or size + 4 > left:
            raise _error("compressed block larger than the vector")
        block = r.read_exact(size)
        left -= size + 4
        if method == LZ4:
            try:
                parts.append(lz4.block.decompress(block, uncompressed_size=BLOCK))
            except Exception as e:
                raise _error(f"corrupt LZ4 block: {e}") from None
        elif method == DELTA:
            if unit not in (2, 4, 8):
                raise _error(f"delta-of-delta with unit length {unit}")
            parts.append(delta_decode_block(block, unit))
        else:
            raise _error(f"Invalid compression method {method}")
    if left != 0:
        raise _error("compressed blocks overrun byteSize")
    payload = b"".join(parts)
    if method == DELTA:
        need = count * unit
        if len(payload) < need:
            raise _error("delta-of-delta stream shorter than its element count")
        payload = payload[:need]
    header = {"dataType": data_type & 0xFF, "unitLength": unit, "reserved": reserved, "extra": extra,
              "elementCount": count, "method": method}
    return header, payload


def _header(byte_size, method, data_type, unit, scale, extra, count):
    return b"\x1a\x01" + HEADER.pack(byte_size, 1, 0, 1, -1, method, data_type, unit, scale, extra, count, -1)


def write_compressed_column(col, out: bytearray):
    """Appends `col` as a compressed vector, with whichever method is smaller."""
    from .codec import column_payload
    from .values import ARRAY_BASE, DECIMAL32, DECIMAL64, STORAGE_DTYPE, ArrayVector
    payload = column_payload(col)
    t = col.type
    is_array = isinstance(col, ArrayVector)
    unit = 0 if is_array or t not in STORAGE_DTYPE else np.dtype(STORAGE_DTYPE[t]).itemsize
    scale = col.scale if t in (DECIMAL32, DECIMAL64, 39) or (is_array and t - ARRAY_BASE in (37, 38, 39)) else 0
    extra = int(col.offsets[-1]) if is_array else 0
    candidates = [(LZ4, lz4_blocks(payload))]
    integral = unit in (2, 4, 8) and t not in (15, 16)
    if integral:
        try:
            candidates.append((DELTA, delta_blocks(payload, unit)))
        except OverflowError:
            pass
    method, blocks = min(candidates, key=lambda c: sum(len(b) for b in c[1]))
    body = b"".join(struct.pack("<i", len(b)) + b for b in blocks)
    out += _header(20 + len(body), method, t, unit, scale, extra, len(col))
    out += body


def lz4_blocks(payload: bytes):
    return [lz4.block.compress(payload[i:i + BLOCK], store_size=False) for i in range(0, len(payload), BLOCK)] or []


def delta_blocks(payload: bytes, unit: int):
    return [delta_encode_block(payload[i:i + BLOCK], unit) for i in range(0, len(payload), BLOCK)]


# ------------------------------------------------------------------------- delta-of-delta
_DTYPES = {2: "<i2", 4: "<i4", 8: "<i8"}
_ALL_ONES_64 = (1 << 64) - 1


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63) if n >= 0 else ((n << 1) ^ -1) & _ALL_ONES_64


def _unzigzag(z: int) -> int:
    return (z >> 1) ^ -(z & 1)


class _BitWriter:
    def __init__(self):
        self.acc = 0
        self.nbits = 0

    def put(self, value: int, bits: int):
        self.acc = (self.acc << bits) | (value & ((1 << bits) - 1))
        self.nbits += bits

    def words(self) -> bytes:
        words = (self.nbits + 63) // 64
        if self.nbits % 64 == 0:
            words += 0
        acc = self.acc << (words * 64 - self.nbits)
        return b"".join(((acc >> (64 * (words - 1 - i))) & _ALL_ONES_64).to_bytes(8, "little") for i in range(words))


def delta_encode_block(raw: bytes, unit: int) -> bytes:
    values = np.frombuffer(raw, dtype=_DTYPES[unit]).astype(np.int64).tolist()
    null = -(1 << (8 * unit - 1))
    width = 8 * unit
    w = _BitWriter()
    i, n = 0, len(values)
    while i < n and values[i] == null:
        w.put(0, 1)
        i += 1
    if i < n:
        prev = values[i]
        w.put(1, 1)
        w.put(_zigzag(prev) if unit == 8 else _zigzag(prev) & ((1 << width) - 1), width)
        i += 1
        while i < n and values[i] == null:
            w.put(0, 1)
            i += 1
        if i < n:
            delta = values[i] - prev
            if unit == 8 and not -(1 << 63) <= delta < (1 << 63):
                raise OverflowError("Delta out of range")
            w.put(1, 1)
            w.put(_zigzag(delta) & ((1 << width) - 1), width)
            prev = values[i]
            i += 1
            for x in values[i:]:
                if x == null:
                    w.put(0b111111, 6)
                    continue
                d = x - prev
                dd = d - delta
                if not -(1 << 63) <= dd < (1 << 63):
                    raise OverflowError("Delta out of range")
                if dd == 0:
                    w.put(0, 1)
                else:
                    c = _zigzag(dd) - 1
                    if c < 1 << 7:
                        w.put(0b10, 2); w.put(c, 7)
                    elif c < 1 << 9:
                        w.put(0b110, 3); w.put(c, 9)
                    elif c < 1 << 16:
                        w.put(0b1110, 4); w.put(c, 16)
                    elif c < 1 << 32:
                        w.put(0b11110, 5); w.put(c, 32)
                    else:
                        w.put(0b111110, 6); w.put(c, 64)
                prev, delta = x, d
    w.put(0b111110, 6)
    w.put(_ALL_ONES_64, 64)
    w.put(0, 1)
    return w.words()


def delta_decode_block(block: bytes, unit: int) -> bytes:
    if len(block) % 8:
        raise _error("delta-of-delta block is not a whole number of words")
    words = np.frombuffer(block, dtype="<u8").tolist()
    total = 64 * len(words)
    acc = 0
    for wd in words:
        acc = (acc << 64) | wd
    pos = 0
    width = 8 * unit
    null = -(1 << (width - 1))
    mask = (1 << width) - 1

    def bits(k):
        nonlocal pos
        if pos + k > total:
            raise _error("truncated delta-of-delta block")
        v = (acc >> (total - pos - k)) & ((1 << k) - 1)
        pos += k
        return v

    def signed(v):
        v &= mask
        return v - (1 << width) if v >> (width - 1) else v

    def at_end_marker():
        return pos + 69 <= total and (acc >> (total - pos - 69)) & ((1 << 69) - 1) == ((0b11110 << 64) | _ALL_ONES_64)

    out = []
    max_values = BLOCK // unit

    def leading_nulls_then_value():
        """Null bits until a present value: its W-bit zigzag payload, or None at the end marker."""
        while True:
            if len(out) > max_values:
                raise _error("delta-of-delta block holds too many values")
            if bits(1) == 0:
                out.append(null)
                continue
            if at_end_marker():
                return None
            return signed(_unzigzag(bits(width)))

    prev = leading_nulls_then_value()                 # the first value
    if prev is None:
        return np.array(out, dtype=_DTYPES[unit]).tobytes()
    out.append(prev)
    delta = leading_nulls_then_value()                # the first delta
    if delta is None:
        return np.array(out, dtype=_DTYPES[unit]).tobytes()
    prev = signed(prev + delta)
    out.append(prev)
    while True:
        if len(out) > max_values + 1:
            raise _error("delta-of-delta block holds too many values")
        ones = 0
        while ones < 6 and bits(1) == 1:
            ones += 1
        if ones == 0:
            dd = 0
        elif ones == 6:
            out.append(null)
            continue
        else:
            c = bits((7, 9, 16, 32, 64)[ones - 1])
            if ones == 5 and c == _ALL_ONES_64:
                break
            dd = _unzigzag(c + 1)
        delta = delta + dd
        prev = signed(prev + delta)
        out.append(prev)
    return np.array(out, dtype=_DTYPES[unit]).tobytes()
