"""Delta-of-delta compression of the embedded server (dolphindb.server.wire.compression): random
round trips, overflow fallback to LZ4, word counting and wrapping of the first delta."""
from __future__ import annotations

import numpy as np
import pytest
from dolphindb.server.wire import compression
from dolphindb.server.wire.codec import CodecError, decode_bytes
from dolphindb.server.model.values import LONG, Vector
from support.codec_checks import compressed_column, vals


# ============================================================================ delta-of-delta details
def _dod_roundtrip(arr, unit):
    blocks = compression.delta_blocks(arr.tobytes(), unit)
    parts, left = [], len(arr)
    for b in blocks:
        p = compression.delta_decode_block(b, unit, min(compression.BLOCK // unit, left))
        left -= len(p)
        parts.append(p)
    back = np.concatenate(parts) if parts else arr[:0]
    assert back.dtype == arr.dtype and np.array_equal(back, arr)
    return blocks


@pytest.mark.parametrize("unit,dt", [(2, np.int16), (4, np.int32), (8, np.int64)])
def test_delta_of_delta_random_round_trips(unit, dt):
    rng = np.random.default_rng(unit)
    info = np.iinfo(dt)
    for trial in range(120):
        n = int(rng.integers(0, 60))
        kind = trial % 5
        if kind == 0:
            a = rng.integers(info.min, info.max, n, dtype=dt, endpoint=True)
        elif kind == 1:
            a = (np.arange(n) * int(rng.integers(1, 1000)) - 500).astype(dt)
        elif kind == 2:
            a = rng.integers(-3, 3, n).cumsum().astype(dt)
        elif kind == 3:
            a = np.full(n, info.min, dt)
        else:
            a = np.array([info.max, info.min + 1, 0, info.max, info.min + 1][:n] + [0] * max(0, n - 5), dt)
        a[rng.random(n) < 0.25] = info.min
        try:
            _dod_roundtrip(a, unit)
        except OverflowError:
            assert unit == 8            # only 64-bit deltas can overflow
    big = np.arange(3 * (compression.BLOCK // unit) + 5).astype(dt)
    assert len(_dod_roundtrip(big, unit)) == 4


def test_delta_of_delta_refuses_64_bit_overflow_and_falls_back_to_lz4():
    v = np.array([np.iinfo(np.int64).max, -np.iinfo(np.int64).max], np.int64)
    with pytest.raises(OverflowError):
        compression.delta_blocks(v.tobytes(), 8)
    with pytest.raises(CodecError, match="delta-of-delta cannot compress"):
        compressed_column(Vector(LONG, v), compression.DELTA)
    raw = compressed_column(Vector(LONG, v), None)
    assert raw[13] == compression.LZ4 and vals(decode_bytes(raw)) == v.tolist()


def test_delta_of_delta_word_count_counts_a_just_started_word():
    # present bit + 16-bit value + null bits until the end marker (71 bits) ends on a word boundary:
    # 1 + 16 + k + 71 = 128 -> k = 40 nulls; the writer has started a third word
    v = np.array([5] + [-32768] * 40, np.int16)
    block = compression.delta_encode_block(v, 2)
    assert len(block) == 24
    assert np.array_equal(compression.delta_decode_block(block, 2, 100), v)


def test_delta_of_delta_first_delta_wraps_modulo_the_width():
    v = np.array([np.iinfo(np.int32).max, np.iinfo(np.int32).min + 1, 0], np.int32)
    _dod_roundtrip(v, 4)
