"""Partitioning schemes: one `Level` per partitioning column (COMPO stacks 2-3 of them).

A level maps the partition column of a write (numpy storage data already cast to the scheme's
type) to a partition index per row, all rows at once; the index names the partition directory.
VALUE levels grow when new values arrive (under the database lock of the engine)."""
from __future__ import annotations

import datetime as _dt
from typing import List, Optional

import numpy as np

from ..model.values import (CHAR, DATE, DATEHOUR, DATETIME, INT, LONG, MINUTE, MONTH, NULL_INT, SECOND, SHORT,
                            STORAGE_DTYPE, STRING, SYMBOL, TIME)
from .hashing import hash_bucket
from ..errors import NULL_VALUE_TEXT, OUT_OF_SCHEME_TEXT, PartitionError

SEQ, VALUE, RANGE, LIST, COMPO, HASH = 0, 1, 2, 3, 4, 5
KIND_NAMES = {SEQ: "SEQ", VALUE: "VALUE", RANGE: "RANGE", LIST: "LIST", COMPO: "COMPO", HASH: "HASH"}
SCHEME_TYPES = {CHAR, SHORT, INT, LONG, DATE, MONTH, TIME, MINUTE, SECOND, DATETIME, DATEHOUR, SYMBOL, STRING}


def _text(v) -> bool:
    return isinstance(v, str)


def format_key(type_id: int, v) -> str:
    """A partition value as it appears in a partition path (DATE 20240102, MONTH 202401M ...)."""
    if _text(v):
        return v
    v = int(v)
    if type_id == DATE:
        return (_dt.date(1970, 1, 1) + _dt.timedelta(days=v)).strftime("%Y%m%d")
    if type_id == MONTH:
        return f"{v // 12:04d}{v % 12 + 1:02d}M"
    if type_id == DATEHOUR:
        t = _dt.datetime(1970, 1, 1) + _dt.timedelta(hours=v)
        return t.strftime("%Y%m%d%H")
    return str(v)


def is_null(type_id: int, data: np.ndarray) -> np.ndarray:
    if type_id in (STRING, SYMBOL):
        return np.asarray(data, dtype=object) == ""
    return np.asarray(data) == NULL_INT[type_id]


def _storage(type_id, values) -> np.ndarray:
    dtype = STORAGE_DTYPE.get(type_id, object)
    arr = np.empty(len(values), dtype=dtype)
    arr[:] = list(values)
    return arr


class Level:
    kind: int
    type: int

    def locate(self, data: np.ndarray) -> np.ndarray:
        """Partition index of every row (int64); -1 = no partition."""
        raise NotImplementedError

    def count(self) -> int:
        raise NotImplementedError

    def name(self, index: int) -> str:
        raise NotImplementedError

    def matching(self, op: str, values: np.ndarray) -> Optional[np.ndarray]:
        """Indices of the partitions a condition `column <op> values` can touch (None = all).
        op: 'eq' (values: the wanted values), 'lt', 'le', 'gt', 'ge' (one value)."""
        if op != "eq":
            return None
        idx = self.locate(values)
        return np.unique(idx[idx >= 0])

    def to_json(self) -> dict:
        raise NotImplementedError

    def same_scheme(self, other: "Level") -> bool:
        return self.to_json() == other.to_json()


def _map_distinct(data: np.ndarray, index_of) -> np.ndarray:
    """index_of(value) for every row, called once per distinct value."""
    if len(data) == 0:
        return np.zeros(0, np.int64)
    uniq, inverse = np.unique(data, return_inverse=True)
    ids = np.array([index_of(u) for u in uniq.tolist()], dtype=np.int64)
    return ids[inverse.reshape(-1)]


class ValueLevel(Level):
    kind = VALUE

    def __init__(self, type_id: int, values):
        self.type = type_id
        self.values: list = []
        self.index: dict = {}
        for v in values:
            self._add(v)

    def _add(self, v):
        if v not in self.index:
            self.index[v] = len(self.values)
            self.values.append(v)
        return self.index[v]

    def count(self):
        return len(self.values)

    def locate(self, data):
        if is_null(self.type, data).any():
            raise PartitionError(NULL_VALUE_TEXT)
        return _map_distinct(data, self._add)

    def name(self, index):
        return format_key(self.type, self.values[index])

    def matching(self, op, values):
        if op != "eq":
            keys = _storage(self.type, self.values)
            v = values[0]
            hit = {"lt": keys < v, "le": keys <= v, "gt": keys > v, "ge": keys >= v}[op]
            return np.nonzero(hit)[0]
        return np.array(sorted({self.index[v] for v in values.tolist() if v in self.index}), dtype=np.int64)

    def schema_values(self):
        return self.type, _storage(self.type, self.values)

    def to_json(self):
        return {"kind": "VALUE", "type": self.type, "values": list(self.values)}


class RangeLevel(Level):
    kind = RANGE

    def __init__(self, type_id: int, bounds):
        self.type = type_id
        self.bounds = _storage(type_id, bounds)
        if len(self.bounds) < 2:
            raise PartitionError("A RANGE scheme needs at least two boundaries")
        if not all(a < b for a, b in zip(self.bounds[:-1].tolist(), self.bounds[1:].tolist())):
            raise PartitionError("The partitioning scheme of a RANGE domain must be increasing")

    def count(self):
        return len(self.bounds) - 1

    def locate(self, data):
        idx = np.searchsorted(self.bounds, data, side="right").astype(np.int64) - 1
        idx[(idx < 0) | (idx >= self.count())] = -1
        if self.type not in (STRING, SYMBOL):
            idx[is_null(self.type, data)] = -1
        return idx

    def name(self, index):
        return f"{format_key(self.type, self.bounds[index])}_{format_key(self.type, self.bounds[index + 1])}"

    def matching(self, op, values):
        if op == "eq":
            return super().matching(op, values)
        v = values[0]
        lo, hi = self.bounds[:-1], self.bounds[1:]
        hit = {"lt": lo < v, "le": lo <= v, "gt": hi > v, "ge": hi > v}[op]
        return np.nonzero(hit)[0]

    def schema_values(self):
        return self.type, self.bounds

    def to_json(self):
        return {"kind": "RANGE", "type": self.type, "values": self.bounds.tolist()}


class HashLevel(Level):
    kind = HASH

    def __init__(self, type_id: int, buckets: int):
        if buckets <= 0:
            raise PartitionError("The number of hash buckets must be positive")
        self.type, self.buckets = type_id, int(buckets)

    def count(self):
        return self.buckets

    def locate(self, data):
        return hash_bucket(self.type, data, self.buckets).astype(np.int64)

    def name(self, index):
        return f"Key{index}"

    def to_json(self):
        return {"kind": "HASH", "type": self.type, "buckets": self.buckets}


class ListLevel(Level):
    kind = LIST

    def __init__(self, type_id: int, groups: List[list]):
        self.type = type_id
        self.groups = [list(g) for g in groups]
        self.index = {}
        for i, g in enumerate(self.groups):
            for v in g:
                self.index.setdefault(v, i)

    def count(self):
        return len(self.groups)

    def locate(self, data):
        return _map_distinct(data, lambda v: self.index.get(v, -1))

    def name(self, index):
        return f"List{index}"

    def to_json(self):
        return {"kind": "LIST", "type": self.type, "groups": self.groups}


def level_from_json(d: dict) -> Level:
    kind = d["kind"]
    if kind == "VALUE":
        return ValueLevel(d["type"], d["values"])
    if kind == "RANGE":
        return RangeLevel(d["type"], d["values"])
    if kind == "HASH":
        return HashLevel(d["type"], d["buckets"])
    if kind == "LIST":
        return ListLevel(d["type"], d["groups"])
    raise PartitionError(f"Unknown partition kind {kind}")


def locate_rows(levels: List[Level], columns: List[np.ndarray]) -> np.ndarray:
    """One combined partition number per row (mixed radix over the levels); raises PartitionError
    when a row fits no partition of a RANGE/LIST/HASH level."""
    combined = None
    for level, data in zip(levels, columns):
        idx = level.locate(data)
        if (idx < 0).any():
            raise PartitionError(OUT_OF_SCHEME_TEXT)
        combined = idx if combined is None else combined * _RADIX + idx
    return combined


_RADIX = 1 << 20   # VALUE levels grow, so the radix is fixed, not the level's current count


def split_number(number: int, depth: int) -> tuple:
    parts = []
    for _ in range(depth):
        parts.append(number % _RADIX)
        number //= _RADIX
    return tuple(reversed(parts))


def partition_path(levels: List[Level], indices: tuple) -> str:
    return "/" + "/".join(level.name(i) for level, i in zip(levels, indices))
