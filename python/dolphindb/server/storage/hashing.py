"""The bucket hash of HASH partitions and `hashBucket` (MurmurHash2 for text, unsigned modulo for
integers and temporals). Vectorized: integers in one numpy expression, text once per distinct value."""
from __future__ import annotations

import numpy as np

from ..model.types import Category, types_in
from ..model.values import BLOB, NULL_INT, STORAGE_DTYPE, STRING, SYMBOL
from ..errors import NotHashable

_M = 0x5BD1E995
_MASK = 0xFFFFFFFF

HASHABLE_WIDE = types_in(Category.BINARY)
# Every integral and every date/time type (DATEHOUR and DATEMINUTE included) hashes as its integer
# storage: the rule the client's partition routing (cpp/writers/hash.cpp) follows too.
HASHABLE_INTEGERS = types_in(Category.INTEGRAL, Category.TEMPORAL)


def murmur32(data: bytes, seed: int) -> int:
    """32-bit MurmurHash2 (multiplier 0x5bd1e995, shift 24) of `data` starting from `seed`."""
    h = seed & _MASK
    n = len(data)
    whole = n - n % 4
    if whole:
        for k in np.frombuffer(data, dtype="<u4", count=whole // 4).tolist():
            k = (k * _M) & _MASK
            k ^= k >> 24
            k = (k * _M) & _MASK
            h = ((h * _M) & _MASK) ^ k
    tail = n - whole
    if tail == 3:
        h ^= data[whole + 2] << 16
    if tail >= 2:
        h ^= data[whole + 1] << 8
    if tail >= 1:
        h ^= data[whole]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


def text_hash(s) -> int:
    b = s.encode() if isinstance(s, str) else bytes(s)
    return murmur32(b, len(b)) if b else 0


def hash_bucket(type_id: int, data: np.ndarray, buckets: int) -> np.ndarray:
    """Bucket of every element (int32; NULL integers and temporals give -1)."""
    if buckets <= 0:
        raise ValueError("The number of buckets must be positive")
    if type_id in (STRING, SYMBOL, BLOB):
        uniq, inverse = np.unique(np.asarray(data, dtype=object), return_inverse=True)
        hashes = np.array([text_hash(u) % buckets for u in uniq.tolist()], dtype=np.int64)
        return hashes[inverse].astype(np.int32) if len(uniq) else np.zeros(0, np.int32)
    if type_id in HASHABLE_WIDE:
        out = []
        for v in np.asarray(data, dtype=object).tolist():
            out.append(murmur32(int(v).to_bytes(16, "little"), 16) % buckets)
        return np.array(out, dtype=np.int32)
    if type_id not in HASHABLE_INTEGERS:
        raise NotHashable("Key must be integer, date/time, or string.")
    arr = np.asarray(data, dtype=STORAGE_DTYPE[type_id])
    null = arr == NULL_INT[type_id]
    if arr.dtype.itemsize == 8:
        u = arr.view(np.uint64)
    else:
        u = arr.astype(np.int32).view(np.uint32).astype(np.uint64)
    result = (u % np.uint64(buckets)).astype(np.int64)
    result[null] = -1
    return result.astype(np.int32)
