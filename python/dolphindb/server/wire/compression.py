"""Compressed vectors (PROTOCOL.md §6): the 28-byte header, LZ4 blocks and delta-of-delta.

Pure Python + numpy, independent of the C++ core (``cpp/compression``); parity tests compare
the two. Both directions of delta-of-delta are vectorized per block:

* encoding computes deltas-of-deltas, ZigZag codes and code classes with numpy and packs the
  resulting (value, bit-count) fields into 64-bit words with shifts and ``bitwise_or.at``;
* decoding unpacks the block into a bit array, computes for every bit position the length of
  the code that would start there (runs of ones via an accumulated minimum), follows the chain
  of code starts with pointer jumping (32 codes per Python step), then extracts every payload
  with 64-bit windows and rebuilds the values with cumulative sums (modulo 2^64, truncated to
  the width, like the reference decoders).

Errors are :class:`dolphindb.server.errors.CodecError`.
"""
from __future__ import annotations

import struct

import lz4.block
import numpy as np

from ..errors import CodecError

HEADER = struct.Struct("<iibbbbBbhiii")   # byteSize colCount version flags charCode method dataType unitLength reserved extra elementCount checkSum
HEADER_SIZE = HEADER.size                  # 28
BLOCK = 65536                              # max decompressed bytes per block
LZ4, DELTA = 1, 2
METHOD_NAMES = {LZ4: "LZ4", DELTA: "DELTA"}
MAX_PAYLOAD = (1 << 31) - 1                # a decompressed vector never exceeds this many bytes

_INT_DTYPES = {2: np.dtype("<i2"), 4: np.dtype("<i4"), 8: np.dtype("<i8")}
_U64 = np.uint64
_ALL_ONES = (1 << 64) - 1


def _error(msg: str):
    return CodecError(msg)


# ------------------------------------------------------------------------------- framing
class Header:
    """The decoded 28-byte compression header (after the ``1a 01`` flag word)."""
    __slots__ = ("byte_size", "col_count", "version", "flags", "char_code", "method",  # noqa: RUF023 (wire order)
                 "data_type", "unit_length", "reserved", "extra", "element_count", "checksum")

    def __init__(self, raw: bytes):
        (self.byte_size, self.col_count, self.version, self.flags, self.char_code, self.method,
         self.data_type, self.unit_length, self.reserved, self.extra, self.element_count,
         self.checksum) = HEADER.unpack(raw)

    def __repr__(self) -> str:
        return "Header(" + ", ".join(f"{k}={getattr(self, k)}" for k in self.__slots__) + ")"


def read_compressed(r, width_of=None) -> tuple[Header, bytes]:
    """Reads the header and blocks of a compressed vector (after its flag word) and returns the
    header and the decompressed payload: the bytes an ordinary vector of ``header.data_type``
    carries after its rows/cols[/scale] header. ``width_of(data_type)`` gives the fixed element
    width of a type (0 for variable-width payloads); it checks unitLength and bounds the payload
    to elementCount x width."""
    h = Header(r.read_exact(HEADER_SIZE))
    fixed_width = width_of(h.data_type) if width_of is not None else 0
    if h.byte_size < 20:
        raise _error(f"compressed vector: byteSize {h.byte_size} is smaller than the 20-byte header rest")
    if h.element_count < 0:
        raise _error(f"compressed vector: negative element count {h.element_count}")
    if not h.flags & 1:
        raise _error("compressed vector: big-endian compressed data is not supported")
    if h.method not in (LZ4, DELTA):
        raise _error(f"Invalid compression method {h.method}")
    if fixed_width and h.unit_length != fixed_width:
        raise _error(f"compressed vector: unitLength {h.unit_length} for a type of width {fixed_width}")
    if h.method == DELTA and h.unit_length not in (2, 4, 8):
        raise _error(f"delta-of-delta needs a unit length of 2, 4 or 8 bytes, got {h.unit_length}")
    limit = h.element_count * fixed_width if fixed_width else MAX_PAYLOAD
    left = h.byte_size - 20
    parts: list = []
    produced = 0
    while left > 0:
        if left < 4:
            raise _error("compressed vector: byteSize ends inside a block size")
        size = struct.unpack("<i", r.read_exact(4))[0]
        left -= 4
        if size < 0:
            raise _error(f"compressed vector: block size {size} (LSN blocks are not supported)")
        if size > left:
            raise _error(f"compressed vector: block of {size} bytes overruns byteSize")
        block = r.read_exact(size)
        left -= size
        if h.method == LZ4:
            try:
                part = lz4.block.decompress(block, uncompressed_size=BLOCK)
            except (lz4.block.LZ4BlockError, ValueError) as e:
                raise _error(f"corrupt LZ4 block: {e}") from None
        else:
            unit = h.unit_length
            want = h.element_count - produced // unit
            if want <= 0:
                raise _error("delta-of-delta: more blocks than the element count needs")
            part = delta_decode_block(block, unit, min(BLOCK // unit, want)).tobytes()
        produced += len(part)
        if produced > limit:
            raise _error(f"compressed vector decompresses to more than {limit} bytes")
        parts.append(part)
    payload = b"".join(parts)
    if h.method == DELTA and len(payload) != h.element_count * h.unit_length:
        raise _error(f"delta-of-delta stream holds {len(payload) // h.unit_length} values, "
                     f"expected {h.element_count}")
    return h, payload


def write_compressed(out: bytearray, *, data_type: int, unit_length: int, reserved: int, extra: int,
                     count: int, payload: bytes, method: int) -> None:
    """Appends flag ``1a 01``, the header and the blocks of ``payload`` compressed with
    ``method`` (DELTA raises OverflowError when the data cannot be delta-encoded)."""
    blocks = lz4_blocks(payload, unit_length) if method == LZ4 else delta_blocks(payload, unit_length)
    write_blocks(out, data_type=data_type, unit_length=unit_length, reserved=reserved, extra=extra,
                 count=count, blocks=blocks, method=method)


def write_blocks(out: bytearray, *, data_type: int, unit_length: int, reserved: int, extra: int,
                 count: int, blocks: list, method: int) -> None:
    body_size = sum(4 + len(b) for b in blocks)
    out += b"\x1a\x01"
    out += HEADER.pack(20 + body_size, 1, 0, 1, -1, method, data_type & 0xFF, unit_length,
                       reserved, extra, count, -1)
    for b in blocks:
        out += struct.pack("<i", len(b))
        out += b


def lz4_blocks(payload: bytes, unit_length: int) -> list:
    """LZ4 blocks of at most 64 KiB of payload: whole values for fixed widths, whole strings
    (cut after the last NUL) for variable-width payloads, like the C++ writer."""
    out = []
    n = len(payload)
    chunk = BLOCK - BLOCK % unit_length if unit_length > 0 else BLOCK
    mv = memoryview(payload)
    pos = 0
    while pos < n:
        size = min(chunk, n - pos)
        if unit_length <= 0 and size < n - pos:
            cut = payload.rfind(b"\0", pos, pos + size)
            if cut >= 0:
                size = cut + 1 - pos
        out.append(lz4.block.compress(mv[pos:pos + size], store_size=False))
        pos += size
    return out


def delta_blocks(payload: bytes, unit: int) -> list:
    """Delta-of-delta blocks of 64 KiB of values each (OverflowError if a delta overflows
    64 bits or a first value/delta would read as the end marker)."""
    if unit not in _INT_DTYPES:
        raise OverflowError(f"delta-of-delta needs a unit length of 2, 4 or 8, got {unit}")
    values = np.frombuffer(payload, dtype=_INT_DTYPES[unit])
    step = BLOCK // unit
    return [delta_encode_block(values[i:i + step], unit) for i in range(0, len(values), step)]


# ------------------------------------------------------------------------------- bit packing
def _zigzag(x: np.ndarray) -> np.ndarray:
    """ZigZag of int64 values as uint64."""
    return ((x << 1) ^ (x >> 63)).view(_U64)


def _pack(vals: np.ndarray, nbits: np.ndarray) -> tuple[np.ndarray, int]:
    """Packs fields (value, bit count; counts may exceed 64 only for zero values) MSB-first
    into 64-bit words. Returns (words, total bits); words = total // 64 + 1 (a word that was
    just started counts, as in the reference writer)."""
    starts = np.empty(len(nbits), dtype=np.int64)
    if len(nbits):
        np.cumsum(nbits[:-1], out=starts[1:])
        starts[0] = 0
    total = int(starts[-1] + nbits[-1]) if len(nbits) else 0
    words = np.zeros(total // 64 + 1, dtype=_U64)
    keep = vals != 0
    if keep.any():
        v, s, nb = vals[keep], starts[keep], nbits[keep]
        w, o = s >> 6, s & 63
        end = o + nb
        fits = end <= 64
        left = np.where(fits, 64 - end, 0).astype(_U64)
        right = np.where(fits, 0, end - 64).astype(_U64)
        np.bitwise_or.at(words, w, (v << left) >> right)
        spill = ~fits
        if spill.any():
            np.bitwise_or.at(words, w[spill] + 1, v[spill] << (128 - end[spill]).astype(_U64))
    return words, total


def _bits_at(words: np.ndarray, pos: int, n: int) -> int:
    """n (≤ 128) bits of the packed stream starting at bit pos, as a Python int."""
    w0 = pos >> 6
    chunk = words[w0:w0 + 3]
    big = int.from_bytes(chunk.astype(">u8").tobytes(), "big")
    total = 64 * len(chunk)
    off = pos - 64 * w0
    if off + n > total:
        big <<= off + n - total
        total = off + n
    return (big >> (total - off - n)) & ((1 << n) - 1)


_END_AFTER_PRESENT = (0b11110 << 64) | _ALL_ONES   # 69 bits: what a present bit + end marker look like


def delta_encode_block(values: np.ndarray, unit: int) -> bytes:
    """One delta-of-delta block (§6.4) of at most 64 KiB of values."""
    width = 8 * unit
    mask = (1 << width) - 1
    null = -(1 << (width - 1))
    v = values.astype(np.int64)
    n = len(v)
    present = np.flatnonzero(v != null)
    head_vals: list = []
    head_bits: list = []
    present_bits: list = []           # bit positions of the two "value present" bits

    def put(val: int, bits: int):
        head_vals.append(val)
        head_bits.append(bits)

    tail_vals = tail_bits = None
    pos = 0
    if len(present) == 0:
        put(0, n)
    else:
        i0 = int(present[0])
        put(0, i0)
        pos = i0
        present_bits.append(pos)
        first = int(v[i0])
        put(1, 1)
        put(((first << 1) ^ (first >> 63)) & mask, width)
        pos += 1 + width
        if len(present) == 1:
            put(0, n - i0 - 1)
        else:
            i1 = int(present[1])
            put(0, i1 - i0 - 1)
            pos += i1 - i0 - 1
            present_bits.append(pos)
            delta = int(v[i1]) - first
            if width < 64:
                delta = ((delta + (1 << (width - 1))) & mask) - (1 << (width - 1))   # modulo 2^W, signed
            elif not -(1 << 63) <= delta < (1 << 63):
                raise OverflowError("Delta out of range")
            put(1, 1)
            put(((delta << 1) ^ (delta >> 63)) & mask, width)
            tail_vals, tail_bits = _encode_tail(v[i1:], null, delta, width)
    end_vals = [0b111110, _ALL_ONES, 0]
    end_bits = [6, 64, 1]
    vals = np.array([x & _ALL_ONES for x in head_vals], dtype=_U64)
    bits = np.array(head_bits, dtype=np.int64)
    if tail_vals is not None:
        vals = np.concatenate([vals, tail_vals, np.array(end_vals, dtype=_U64)])
        bits = np.concatenate([bits, tail_bits, np.array(end_bits, dtype=np.int64)])
    else:
        vals = np.concatenate([vals, np.array(end_vals, dtype=_U64)])
        bits = np.concatenate([bits, np.array(end_bits, dtype=np.int64)])
    words, _total = _pack(vals, bits)
    for p in present_bits:     # a first value/delta must not spell "present + end marker"
        if _bits_at(words, p + 1, 69) == _END_AFTER_PRESENT:
            raise OverflowError("a value collides with the delta-of-delta end marker")
    return words.astype("<u8").tobytes()


_CLASS_LIMITS = np.array([1 << 7, 1 << 9, 1 << 16, 1 << 32], dtype=_U64)
_PREFIX_VALS = np.array([0b10, 0b110, 0b1110, 0b11110, 0b111110], dtype=_U64)
_PREFIX_BITS = np.array([2, 3, 4, 5, 6], dtype=np.int64)
_PAYLOAD_BITS = np.array([7, 9, 16, 32, 64], dtype=np.int64)


def _encode_tail(v: np.ndarray, null: int, delta0: int, width: int):
    """Fields for the values after the second present value (v[0] is that value)."""
    rest = v[1:]
    m = len(rest)
    if m == 0:
        return np.zeros(0, dtype=_U64), np.zeros(0, dtype=np.int64)
    isnull = rest == null
    nn = np.flatnonzero(~isnull)
    seq = np.concatenate([v[:1], rest[nn]])          # present values, starting with the 2nd one
    d = seq[1:] - seq[:-1]
    if width == 64:
        a, b = seq[1:], seq[:-1]
        if (((a ^ b) & (a ^ d)) < 0).any():
            raise OverflowError("Delta out of range")
    prev_d = np.concatenate([np.array([delta0], dtype=np.int64), d[:-1]])
    dd = d - prev_d
    if width == 64 and (((d ^ prev_d) & (d ^ dd)) < 0).any():
        raise OverflowError("Delta out of range")
    c = _zigzag(dd) - _U64(1)                        # wraps to 2^64-1 where dd == 0 (unused)
    cls = np.searchsorted(_CLASS_LIMITS, c, side="right")   # 0..4: which of 7/9/16/32/64 bits
    zero = dd == 0
    a_val = np.where(zero, _U64(0), _PREFIX_VALS[cls])
    a_bits = np.where(zero, 1, _PREFIX_BITS[cls])
    b_val = np.where(zero, _U64(0), c)
    b_bits = np.where(zero, 0, _PAYLOAD_BITS[cls])
    vals = np.zeros((m, 2), dtype=_U64)
    bits = np.zeros((m, 2), dtype=np.int64)
    vals[isnull, 0] = 0b111111
    bits[isnull, 0] = 6
    vals[nn, 0], vals[nn, 1] = a_val, b_val
    bits[nn, 0], bits[nn, 1] = a_bits, b_bits
    return vals.ravel(), bits.ravel()


# ------------------------------------------------------------------------------- decoding
_CODE_LEN32 = np.array([1, 9, 12, 20, 37, 70, 6], dtype=np.int32)   # by leading ones 0..6
_PAYLOAD_BY_K = np.array([0, 7, 9, 16, 32, 64, 0], dtype=np.int64)
_JUMP_LOG = 5                                                       # 32 codes per Python step


def _max_block_words(unit: int) -> int:
    return ((BLOCK // unit) * 70 + 2 * 64 + 2 * 71) // 64 + 2


def delta_decode_block(block: bytes, unit: int, max_values: int) -> np.ndarray:
    """Decodes one delta-of-delta block into at most max_values values of the unit's width."""
    if unit not in _INT_DTYPES:
        raise _error(f"delta-of-delta needs a unit length of 2, 4 or 8, got {unit}")
    if len(block) % 8:
        raise _error("delta-of-delta block is not a whole number of 64-bit words")
    nwords = len(block) // 8
    if nwords > _max_block_words(unit):
        raise _error(f"delta-of-delta block of {len(block)} bytes is larger than any valid block")
    width = 8 * unit
    null = -(1 << (width - 1))
    dtype = _INT_DTYPES[unit]
    if max_values <= 0:
        return np.zeros(0, dtype=dtype)
    words = np.frombuffer(block, dtype="<u8").astype(_U64)
    nbits = 64 * nwords
    bits = np.unpackbits(words.astype(">u8").view(np.uint8))
    idx = np.arange(nbits + 1, dtype=np.int32)
    # ones starting at each position: next zero (position nbits is a sentinel zero) minus position
    is0 = np.empty(nbits + 1, dtype=bool)
    np.equal(bits, 0, out=is0[:nbits])
    is0[nbits] = True
    zero_pos = np.flatnonzero(is0).astype(np.int32)
    zeros_before = np.cumsum(is0, dtype=np.int32)
    zeros_before -= is0
    run = zero_pos[zeros_before]
    run -= idx
    one_pos = np.flatnonzero(bits)

    def next_one(pos: int) -> int:
        i = int(np.searchsorted(one_pos, pos))
        return int(one_pos[i]) if i < len(one_pos) else nbits

    big = int.from_bytes(words.astype(">u8").tobytes(), "big") if nwords else 0

    def field(pos: int, n: int) -> int:
        if pos + n > nbits:
            raise _error("truncated delta-of-delta block")
        return (big >> (nbits - pos - n)) & ((1 << n) - 1)

    def end_after_present(pos: int) -> bool:       # `11110` + 64 ones at pos
        return pos + 69 <= nbits and run[pos] == 4 and run[pos + 5] >= 64

    out_head: list = []

    def leading_nulls(pos: int) -> tuple[int, bool]:
        """Zero bits as nulls; returns (position of the next 1, whether max_values was reached)."""
        z = next_one(pos) - pos
        room = max_values - len(out_head)
        if z >= room:
            out_head.extend([null] * room)
            return pos + room, True
        if pos + z >= nbits:
            raise _error("truncated delta-of-delta block (no end marker)")
        out_head.extend([null] * z)
        return pos + z, False

    def finish(tail=None) -> np.ndarray:
        head = np.array(out_head, dtype=np.int64).astype(dtype)
        return head if tail is None else np.concatenate([head, tail.astype(dtype)])

    def zigzag_field(pos: int) -> tuple[int, int | None]:
        """Leading nulls, a present bit, then a ZigZag field of `width` bits: (the position after
        it, its value mod 2^64), or (pos, None) when the block or max_values ends first."""
        pos, full = leading_nulls(pos)
        if full:
            return pos, None
        pos += 1
        if end_after_present(pos):
            return pos, None
        z = field(pos, width)
        return pos + width, ((z >> 1) ^ -(z & 1)) & _ALL_ONES

    def signed(u: int) -> int:
        return u - (1 << 64) if u >> 63 else u

    pos, prev = zigzag_field(0)              # the first value
    if prev is None:
        return finish()
    out_head.append(signed(prev))
    if len(out_head) == max_values:
        return finish()
    pos, delta = zigzag_field(pos)           # the first delta
    if delta is None:
        return finish()
    prev = (prev + delta) & _ALL_ONES
    out_head.append(signed(prev))
    room = max_values - len(out_head)
    if room == 0:
        return finish()

    # ---- the code chain from pos
    k = np.minimum(run, 6)
    code_len = _CODE_LEN32[k]
    nxt = np.minimum(idx + code_len, nbits)
    is_end = np.zeros(nbits + 1, dtype=bool)
    if nbits >= 70:
        is_end[:nbits - 69] = (run[:nbits - 69] == 5) & (run[6:nbits - 63] >= 64)
    nxt[is_end] = idx[is_end]                  # the end marker and nbits absorb
    nxt[nbits] = nbits
    jump = nxt
    for _ in range(_JUMP_LOG):
        jump = jump[jump]
    sparse = []
    limit = room // (1 << _JUMP_LOG) + 2
    p = pos
    while True:
        sparse.append(p)
        q = int(jump[p])
        if q == p or len(sparse) > limit:
            break
        p = q
    rows = [np.array(sparse, dtype=np.int32)]
    for _ in range((1 << _JUMP_LOG) - 1):
        rows.append(nxt[rows[-1]])
    chain = np.stack(rows, axis=1).ravel()
    stop = np.flatnonzero(is_end[chain] | (chain >= nbits))
    first_stop = int(stop[0]) if len(stop) else len(chain)
    if first_stop >= room:
        codes = chain[:room]
    else:
        if chain[first_stop] >= nbits:
            raise _error("truncated delta-of-delta block (no end marker)")
        codes = chain[:first_stop]
    if len(codes) and int((codes.astype(np.int64) + code_len[codes]).max()) > nbits:
        raise _error("truncated delta-of-delta block")
    kk = k[codes]
    isnull = kk == 6
    pw = _PAYLOAD_BY_K[kk]
    has = pw > 0
    start = codes[has].astype(np.int64) + kk[has] + 1
    wpad = np.concatenate([words, np.zeros(2, dtype=_U64)])
    wi, off = start >> 6, (start & 63).astype(_U64)
    hi = wpad[wi] << off
    lo = np.where(off == 0, _U64(0), wpad[wi + 1] >> ((_U64(64) - off) & _U64(63)))
    c = (hi | lo) >> (_U64(64) - pw[has].astype(_U64))
    zz = c + _U64(1)
    dd = np.zeros(len(codes), dtype=_U64)
    dd[has] = (zz >> _U64(1)) ^ (_U64(0) - (zz & _U64(1)))
    dd_present = dd[~isnull]
    deltas = _U64(delta) + np.cumsum(dd_present, dtype=_U64)
    vals = _U64(prev) + np.cumsum(deltas, dtype=_U64)
    tail = np.full(len(codes), null, dtype=np.int64)
    tail[~isnull] = vals.view(np.int64)
    return finish(tail)
