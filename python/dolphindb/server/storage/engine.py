"""The DFS storage engine: catalog, partitioned tables, atomic writes, durability.

Independent of the interpreter: it takes and returns columns of the server's object model
(values.py), already cast to the table's column types; the partition columns arrive cast to
each level's scheme type. Every write is a transaction over the chunks it touches (locks.py);
with a directory, partitions are Arrow segment files (columnar.py) and a commit is the atomic
rename of the table's manifest, so a crash at any point leaves either the old or the new state.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..model.values import ARRAY_BASE, STORAGE_DTYPE, VOID, ArrayVector, Vector
from ..files import atomic_write, fsync_dir
from . import columnar
from .domains import Level, level_from_json, locate_rows, partition_path, split_number
from .locks import LockTable
from ..errors import StorageError

COMPACT_AFTER = 8          # segments per partition before a write merges them into one
OLAP, TSDB, PKEY = "OLAP", "TSDB", "PKEY"   # PKEY: one row per primary key, the last write wins


@dataclass
class ColumnDef:
    name: str
    type: int
    scale: int = 0


class Segment:
    """An immutable run of rows of one partition: in memory, or a file loaded on first read."""
    __slots__ = ("file", "rows", "_cols")

    def __init__(self, rows: int, cols=None, file: Optional[Path] = None):
        self.rows, self._cols, self.file = rows, cols, file

    def columns(self, types):
        if self._cols is None:
            try:
                self._cols = columnar.read_segment(self.file, types)
            except FileNotFoundError:     # dropped by a write that committed after this read began
                raise StorageError("The partition was changed by a concurrent write; run the query again.") \
                    from None
        return self._cols

    def forget(self) -> None:
        self._cols = None


@dataclass(eq=False, repr=False)
class TableMeta:
    name: str
    columns: List[ColumnDef]
    partition_columns: List[str]            # one per level; [] for a dimension table
    sort_columns: List[str] = field(default_factory=list)     # TSDB sortColumns, PKEY primaryKey
    keep_duplicates: str = "ALL"
    compress: Dict[str, str] = field(default_factory=dict)
    table_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    parts: Dict[int, List[Segment]] = field(default_factory=dict)
    commit_lock: threading.Lock = field(default_factory=threading.Lock)
    scanned_partitions: int = 0             # partitions read by the last scan (tests, EXPLAIN-like)

    @property
    def names(self):
        return [c.name for c in self.columns]

    @property
    def types(self):
        return [(c.type, c.scale) for c in self.columns]

    def rows(self) -> int:
        with self.commit_lock:
            return sum(s.rows for segs in self.parts.values() for s in segs)

    def to_json(self):
        return {"columns": [[c.name, c.type, c.scale] for c in self.columns],
                "partitionColumns": self.partition_columns, "sortColumns": self.sort_columns,
                "keepDuplicates": self.keep_duplicates, "compress": self.compress, "id": self.table_id}

    @classmethod
    def from_json(cls, name, d):
        return cls(name, [ColumnDef(*c) for c in d["columns"]], d["partitionColumns"], d["sortColumns"],
                   d["keepDuplicates"], d["compress"], d["id"])


@dataclass(eq=False, repr=False)
class Database:
    path: str                    # "dfs://x"; "" = an in-memory partitioned database
    levels: List[Level]
    engine: str = OLAP
    atomic: str = "TRANS"
    tables: Dict[str, TableMeta] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)   # domain growth, table list

    @property
    def name(self):
        return self.path.split("://", 1)[-1].strip("/") or "memory"

    def to_json(self):
        return {"levels": [lv.to_json() for lv in self.levels], "engine": self.engine, "atomic": self.atomic,
                "tables": {n: t.to_json() for n, t in self.tables.items()}}


def concat_columns(parts: List[list], types) -> list:
    """Column-wise concatenation of several column lists (same schema)."""
    out = []
    for i, (t, scale) in enumerate(types):
        cols = [p[i] for p in parts]
        if len(cols) == 1:
            out.append(cols[0])
        elif isinstance(cols[0], ArrayVector):
            offsets, values, base = [np.zeros(1, np.int64)], [], 0
            for c in cols:
                offsets.append(c.offsets[1:] - c.offsets[0] + base)
                values.append(c.values.data[c.offsets[0]:c.offsets[-1]])
                base += int(c.offsets[-1] - c.offsets[0])
            out.append(ArrayVector(cols[0].type, np.concatenate(offsets),
                                   Vector(cols[0].values.type, np.concatenate(values), scale)))
        elif cols[0].data is None:
            out.append(Vector(cols[0].type, None, length_=sum(len(c) for c in cols)))
        else:
            out.append(Vector(t, np.concatenate([c.data for c in cols]), scale))
    return out


def take(col, idx):
    if isinstance(col, ArrayVector):
        counts = np.diff(col.offsets)[idx]
        offsets = np.zeros(len(counts) + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        starts = col.offsets[:-1][idx]
        flat = np.repeat(starts - offsets[:-1], counts) + np.arange(int(offsets[-1]))
        return ArrayVector(col.type, offsets, Vector(col.values.type, col.values.data[flat], col.values.scale))
    if col.data is None:
        return Vector(col.type, None, length_=len(np.arange(len(col))[idx]))
    return Vector(col.type, col.data[idx], col.scale)


def key_codes(cols: Sequence) -> np.ndarray:
    """One int64 per row, equal for equal keys and ordered like the keys (first column first)."""
    n = len(cols[0]) if cols else 0
    combined = np.zeros(n, dtype=np.int64)
    for c in cols:
        _, inverse = np.unique(c.data, return_inverse=True)
        inverse = inverse.reshape(-1)
        combined = combined * (int(inverse.max(initial=0)) + 1) + inverse
    return combined


class Engine:
    def __init__(self, root: Optional[Path] = None):
        self.root = Path(root) if root is not None else None
        self.databases: Dict[str, Database] = {}
        self.lock = threading.RLock()           # the catalog
        self.locks = LockTable()
        if self.root is not None and (self.root / "catalog.json").exists():   # created with the first database
            self._load()

    @classmethod
    def in_data_dir(cls, data_dir) -> "Engine":
        """The engine of a server: durable under <data_dir>/dfs, in memory without a data dir."""
        return cls(None if data_dir is None else Path(data_dir) / "dfs")

    # -- catalog ---------------------------------------------------------------------------------
    def create_database(self, path: str, levels: List[Level], engine: str = OLAP, atomic: str = "TRANS") -> Database:
        if engine not in (OLAP, TSDB, PKEY):
            raise StorageError(f"Invalid engine type {engine}. It must be OLAP, TSDB or PKEY.")
        if atomic not in ("TRANS", "CHUNK"):
            raise StorageError("The atomic parameter must be 'TRANS' or 'CHUNK'.")
        db = Database(path, levels, engine, atomic)
        if not path:
            return db
        with self.lock:
            old = self.databases.get(path)
            if old is not None:
                if len(old.levels) != len(levels) or not all(a.same_scheme(b) for a, b in zip(old.levels, levels)):
                    raise StorageError(f"The database [{path}] already exists and its partitioning scheme "
                                       f"can't be changed.")
                return old
            self.databases[path] = db
            self._save_catalog()
        return db

    def database(self, path: str) -> Database:
        with self.lock:
            db = self.databases.get(path)
        if db is None:
            raise StorageError(f"The database [{path}] does not exist.")
        return db

    def exists_database(self, path: str) -> bool:
        with self.lock:
            return path in self.databases

    def database_paths(self) -> List[str]:
        with self.lock:
            return sorted(self.databases)

    def drop_database(self, path: str) -> None:
        with self.lock:
            db = self.databases.pop(path, None)
            if db is None:
                raise StorageError(f"The database [{path}] does not exist.")
            self._save_catalog()
        if self.root is not None:
            shutil.rmtree(self._db_dir(db), ignore_errors=True)

    def create_table(self, db: Database, name: str, columns: List[ColumnDef], partition_columns: List[str],
                     sort_columns=(), keep_duplicates="ALL", compress=None) -> TableMeta:
        names = [c.name for c in columns]
        if len(set(names)) != len(names):
            raise StorageError("Duplicate column names are not allowed in a table.")
        for p in partition_columns:
            if p not in names:
                raise StorageError(f"The partitioning column {p} does not exist in the table.")
        if partition_columns and len(partition_columns) != len(db.levels):
            raise StorageError(f"The number of partitioning columns must be {len(db.levels)}.")
        if db.engine == TSDB and not sort_columns:
            raise StorageError("The sortColumns parameter must be specified for a table of the TSDB engine.")
        if db.engine == PKEY:
            if not sort_columns:
                raise StorageError("The primaryKey parameter must be specified for a table of the PKEY engine.")
            missing = [p for p in partition_columns if p not in sort_columns]
            if missing:
                raise StorageError(f"The primary key must contain the partitioning column {missing[0]}.")
            keep_duplicates = "LAST"
        elif db.engine != TSDB and (sort_columns or keep_duplicates != "ALL"):
            raise StorageError("sortColumns and keepDuplicates are only supported by the TSDB engine.")
        for s in sort_columns:
            if s not in names:
                raise StorageError(f"The sort column {s} does not exist in the table.")
        if keep_duplicates not in ("ALL", "FIRST", "LAST"):
            raise StorageError("keepDuplicates must be ALL, FIRST or LAST.")
        meta = TableMeta(name, list(columns), list(partition_columns), list(sort_columns), keep_duplicates,
                         dict(compress or {}))
        with self.lock, db.lock:
            if name in db.tables:
                raise StorageError(f"The table [{name}] already exists in the database [{db.path}].")
            db.tables[name] = meta
            if db.path:
                self._save_catalog()
        return meta

    def table(self, db: Database, name: str) -> TableMeta:
        with db.lock:
            t = db.tables.get(name)
        if t is None:
            raise StorageError(f"The table [{name}] does not exist in the database [{db.path}].")
        return t

    def drop_table(self, db: Database, name: str) -> None:
        with self.lock, db.lock:
            t = db.tables.pop(name, None)
            if t is None:
                raise StorageError(f"The table [{name}] does not exist in the database [{db.path}].")
            if db.path:
                self._save_catalog()
        if self.root is not None and db.path:
            shutil.rmtree(self._table_dir(db, t), ignore_errors=True)

    def clear_cache(self) -> None:
        """Forgets the loaded columns of every partition file (they are read again when needed)."""
        with self.lock:
            tables = [t for db in self.databases.values() for t in db.tables.values()]
        for t in tables:
            with t.commit_lock:
                for segs in t.parts.values():
                    for s in segs:
                        if s.file is not None:
                            s.forget()

    # -- partitions ------------------------------------------------------------------------------
    def locate(self, db: Database, t: TableMeta, part_data: List[np.ndarray], rows: int) -> np.ndarray:
        """The partition number of every row (a dimension table has one partition, 0)."""
        if not t.partition_columns:
            return np.zeros(rows, dtype=np.int64)
        with db.lock:
            before = [lv.count() for lv in db.levels]
            numbers = locate_rows(db.levels, part_data)
            grew = [lv.count() for lv in db.levels] != before
        if grew and db.path:
            with self.lock:                       # lock order: engine, then database
                self._save_catalog()              # a VALUE domain grew
        return numbers

    def path_of(self, db: Database, t: TableMeta, number: int) -> str:
        if not t.partition_columns:
            return "/"
        return partition_path(db.levels, split_number(number, len(db.levels)))

    def partitions(self, db: Database, t: TableMeta, allowed: Optional[List[Optional[np.ndarray]]] = None) -> List[int]:
        """Partition numbers holding data, optionally only those whose level indices are allowed
        (one array of level indices per level, None = any), in scheme order."""
        with t.commit_lock:
            numbers = sorted(n for n, segs in t.parts.items() if segs)
        if not allowed or not t.partition_columns:
            return numbers
        keep = []
        for n in numbers:
            idx = split_number(n, len(db.levels))
            if all(a is None or i in a for i, a in zip(idx, allowed)):
                keep.append(n)
        return keep

    def read(self, db: Database, t: TableMeta, numbers: Optional[List[int]] = None) -> list:
        """The rows of the given partitions (all when None), columns in schema order."""
        with t.commit_lock:
            chosen = sorted(t.parts) if numbers is None else [n for n in numbers if n in t.parts]
            snapshot = [(n, list(t.parts[n])) for n in chosen]
        t.scanned_partitions = sum(1 for _, segs in snapshot if segs)
        parts = [s.columns(t.types) for _, segs in snapshot for s in segs]
        if not parts:
            return [_empty(c.type, c.scale) for c in t.columns]
        return concat_columns(parts, t.types)

    # -- writes ----------------------------------------------------------------------------------
    def append(self, db: Database, t: TableMeta, columns: list, part_data: List[np.ndarray],
               cancelled: Optional[Callable[[], None]] = None) -> int:
        rows = len(columns[0]) if columns else 0
        if rows == 0:
            return 0
        groups = self._groups(db, t, part_data, rows)

        def write(current: Dict[int, List[Segment]], segment):
            out = {}
            for n, idx in groups.items():
                new = [take(c, idx) for c in columns]
                segs = list(current.get(n, []))
                if t.keep_duplicates != "ALL":
                    merged = concat_columns([s.columns(t.types) for s in segs] + [new], t.types)
                    out[n] = [segment(n, self._dedup(t, merged))]
                    continue
                if t.sort_columns:
                    new = self._sorted(t, new)
                if len(segs) >= COMPACT_AFTER:          # merged with the partition's segments, one file
                    out[n] = [segment(n, concat_columns([s.columns(t.types) for s in segs] + [new], t.types))]
                else:
                    out[n] = segs + [segment(n, new)]
            return out

        self._transaction(db, t, list(groups), write, cancelled)
        return rows

    def upsert(self, db: Database, t: TableMeta, columns: list, part_data: List[np.ndarray],
               merge: Callable[[list, list], Tuple[list, int, int]],
               cancelled: Optional[Callable[[], None]] = None) -> Tuple[int, int]:
        """Merges the rows into their partitions with merge(old, new) -> (rows, inserted, updated)."""
        rows = len(columns[0]) if columns else 0
        if rows == 0:
            return 0, 0
        groups = self._groups(db, t, part_data, rows)
        counts = [0, 0]

        def write(current, segment):
            out = {}
            for n, idx in groups.items():
                segs = current.get(n, [])
                old = concat_columns([s.columns(t.types) for s in segs], t.types) if segs else \
                    [_empty(c.type, c.scale) for c in t.columns]
                merged, inserted, updated = merge(old, [take(c, idx) for c in columns])
                counts[0] += inserted
                counts[1] += updated
                if t.keep_duplicates != "ALL":
                    merged = self._dedup(t, merged)
                elif t.sort_columns:
                    merged = self._sorted(t, merged)
                out[n] = [segment(n, merged)]
            return out

        self._transaction(db, t, list(groups), write, cancelled)
        return counts[0], counts[1]

    def _groups(self, db, t, part_data, rows) -> Dict[int, np.ndarray]:
        """Row indices per partition number: one stable argsort, no loop over rows."""
        numbers = self.locate(db, t, part_data, rows)
        order = np.argsort(numbers, kind="stable")
        uniq, starts = np.unique(numbers[order], return_index=True)
        bounds = list(starts) + [rows]
        return {int(n): order[bounds[i]:bounds[i + 1]] for i, n in enumerate(uniq)}

    def rewrite(self, db: Database, t: TableMeta, numbers: List[int], fn: Callable[[list], Optional[list]],
                cancelled: Optional[Callable[[], None]] = None) -> None:
        """Replaces each partition's rows by fn(number, rows) (None = unchanged); delete and update."""
        def write(current, segment):
            out = {}
            for n in numbers:
                segs = current.get(n, [])
                if not segs:
                    continue
                new = fn(n, concat_columns([s.columns(t.types) for s in segs], t.types))
                if new is None:
                    continue
                rows = len(new[0]) if new else 0
                out[n] = [segment(n, new)] if rows else []
            return out

        self._transaction(db, t, numbers, write, cancelled)

    def drop_partitions(self, db: Database, t: TableMeta, numbers: List[int]) -> None:
        self._transaction(db, t, numbers, lambda current, segment: {n: [] for n in numbers}, None)

    def _transaction(self, db, t, numbers, write, cancelled):
        """Runs write(current segments, segment factory) holding the chunks of `numbers`, then
        commits its partitions at once (the manifest rename). A failure before the commit leaves
        the table as it was and removes the files the write had created."""
        tid = self.locks.new_tid()
        keys = [(db.path or f"mem{id(db)}", t.name, n) for n in numbers]
        self.locks.acquire(keys, tid, db.atomic == "CHUNK",
                           lambda k: f"/{db.name}{self.path_of(db, t, k[2])}/{t.name}", cancelled)
        created: List[Path] = []

        def segment(number, cols):
            seg = self._segment(db, t, number, cols)
            if seg.file is not None:
                created.append(seg.file)
            return seg
        try:
            with t.commit_lock:
                current = {n: list(t.parts.get(n, [])) for n in numbers}
            changed = write(current, segment)
            with t.commit_lock:
                old = {n: t.parts.get(n, []) for n in changed}
                t.parts.update(changed)
                if self.root is not None and db.path:
                    try:
                        self._save_manifest(db, t)
                    except BaseException:
                        t.parts.update(old)
                        raise
        except BaseException as e:
            for f in created:
                f.unlink(missing_ok=True)
            if isinstance(e, OSError):       # ENOSPC, EFBIG, EIO ...
                raise StorageError(f"Failed to save the partitions of table {t.name} of {db.path}: "
                                   f"{e.strerror or e}") from None
            raise
        finally:
            self.locks.release(tid)
        if self.root is not None and db.path:        # committed: the replaced files go
            kept = {id(s) for n in changed for s in changed[n]}
            for segs in old.values():
                for s in segs:
                    if id(s) not in kept and s.file is not None:
                        s.file.unlink(missing_ok=True)

    def _segment(self, db, t, number, cols) -> Segment:
        rows = len(cols[0]) if cols else 0
        if self.root is None or not db.path:
            return Segment(rows, cols)
        path = self._table_dir(db, t) / str(number) / f"{uuid.uuid4().hex}.arrow"
        columnar.write_segment(path, t.names, cols)
        return Segment(rows, cols, path)

    def _sorted(self, t, cols):
        idx = [t.names.index(s) for s in t.sort_columns]
        order = np.argsort(key_codes([cols[i] for i in idx]), kind="stable")
        return [take(c, order) for c in cols]

    def _dedup(self, t, cols):
        """TSDB keepDuplicates FIRST/LAST: one row per sort key, sorted by the key."""
        idx = [t.names.index(s) for s in t.sort_columns]
        codes = key_codes([cols[i] for i in idx])
        n = len(codes)
        if t.keep_duplicates == "FIRST":
            _, first = np.unique(codes, return_index=True)
            keep = first
        else:
            _, last_rev = np.unique(codes[::-1], return_index=True)
            keep = n - 1 - last_rev
        return [take(c, keep) for c in cols]

    # -- durability ------------------------------------------------------------------------------
    def _db_dir(self, db: Database) -> Path:
        return self.root / "data" / hashlib.sha1(db.path.encode()).hexdigest()[:16]

    def _table_dir(self, db: Database, t: TableMeta) -> Path:
        return self._db_dir(db) / t.table_id

    def _save_catalog(self) -> None:
        if self.root is None:
            return
        doc = {"databases": {p: db.to_json() for p, db in self.databases.items()}}
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write(self.root / "catalog.json", json.dumps(doc).encode())

    def _save_manifest(self, db: Database, t: TableMeta) -> None:
        directory = self._table_dir(db, t)
        directory.mkdir(parents=True, exist_ok=True)
        doc = {str(n): [[s.file.relative_to(directory).as_posix(), s.rows] for s in segs]
               for n, segs in t.parts.items() if segs}
        for n in t.parts:
            sub = directory / str(n)
            if sub.exists():
                fsync_dir(sub)
        atomic_write(directory / "manifest.json", json.dumps(doc).encode())

    def _load(self) -> None:
        doc = json.loads((self.root / "catalog.json").read_bytes())
        live_dirs = set()
        for path, d in doc["databases"].items():
            db = Database(path, [level_from_json(x) for x in d["levels"]], d["engine"], d["atomic"])
            self.databases[path] = db
            live_dirs.add(self._db_dir(db))
            for name, td in d["tables"].items():
                t = TableMeta.from_json(name, td)
                db.tables[name] = t
                self._load_table(db, t)
            for stale in self._db_dir(db).glob("*"):
                if stale.is_dir() and stale.name not in {t.table_id for t in db.tables.values()}:
                    shutil.rmtree(stale, ignore_errors=True)
        for stale in (self.root / "data").glob("*"):
            if stale not in live_dirs:
                shutil.rmtree(stale, ignore_errors=True)

    def _load_table(self, db: Database, t: TableMeta) -> None:
        directory = self._table_dir(db, t)
        manifest = directory / "manifest.json"
        parts = json.loads(manifest.read_bytes()) if manifest.exists() else {}
        referenced = set()
        for n, segs in parts.items():
            t.parts[int(n)] = [Segment(rows, None, directory / f) for f, rows in segs]
            referenced.update(directory / f for f, _ in segs)
        if directory.exists():     # files of writes that never committed
            for f in directory.glob("*/*"):
                if f not in referenced:
                    f.unlink(missing_ok=True)


def _empty(type_id, scale):
    if ARRAY_BASE <= type_id < 128:
        et = type_id - ARRAY_BASE
        return ArrayVector(type_id, np.zeros(1, np.int64), Vector(et, np.empty(0, STORAGE_DTYPE.get(et, object)), scale))
    if type_id == VOID:
        return Vector(VOID, None, length_=0)
    return Vector(type_id, np.empty(0, STORAGE_DTYPE.get(type_id, object)), scale)
