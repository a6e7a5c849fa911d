"""DFS built-ins: the interpreter's side of the storage engine (server/storage).

Here values are converted (casts to the column types, partition columns to the scheme types),
`where` conditions are turned into partition pruning, and the engine's errors become script
errors. The engine itself knows nothing of scripts."""
from __future__ import annotations

import inspect

import numpy as np

from .. import storage
from ..storage import (COMPO, HASH, KIND_NAMES, LIST, RANGE, SEQ, VALUE, ColumnDef, Engine, HashLevel, ListLevel,
                       NotHashable, PartitionError, RangeLevel, StorageError, ValueLevel)
from ..model.values import (ANY, ARRAY_BASE, BOOL, CHAR, DECIMAL128, DECIMAL32, DECIMAL64, HANDLE, INT, LONG,
                            STORAGE_DTYPE, STRING, SYMBOL, VOID, ArrayVector, Dictionary, Scalar, Table, Vector,
                            type_name, type_string)
from .builtins.arrays import rows_as_array_vector
from .builtins.tables import APPEND_LOCK, table_changed
from .builtins.vectors import empty_column
from .nodes import Binary, Var, walk
from .scope import eval_on, where_mask
from .registry import BUILTINS, builtin, constant
from ..errors import ScriptError
from ..model.columns import INTEGRAL, S, TEMPORAL, V, as_array, element, null_mask, scalar_storage, to_str, vector_of
from .builtins.casts import cast
from .builtins.operators import char_as_string

# ---- values ------------------------------------------------------------------------------------


class DatabaseHandle(Scalar):
    """`database(...)`: travels to a client as the HANDLE text DB[<path>]."""

    def __init__(self, db: storage.Database):
        super().__init__(HANDLE, f"DB[{db.path}]")
        self.db = db


class DfsTable(Table):
    """A handle of a DFS (or in-memory partitioned) table: metadata only; rows are read from the
    engine when a query or a client needs them."""

    def __init__(self, engine: Engine, db: storage.Database, meta: storage.TableMeta):
        self.engine, self.db, self.meta = engine, db, meta
        self.name = meta.name

    def __repr__(self):
        return f"DfsTable({self.db.path!r}, {self.meta.name!r})"

    @property
    def columns(self):
        return dict(zip(self.meta.names, self.engine.read(self.db, self.meta)))

    @property
    def rows(self):
        return self.meta.rows()

    def column_types(self):
        return [(c.name, c.type) for c in self.meta.columns]

    def read(self, numbers=None) -> Table:
        return Table(dict(zip(self.meta.names, self.engine.read(self.db, self.meta, numbers))), self.name)


def engine_of(ctx) -> Engine:
    if ctx.server is not None:
        return ctx.server.dfs
    engine = ctx.__dict__.get("_dfs")          # a bare session (no server): its own in-memory engine
    if engine is None:
        engine = ctx.__dict__.setdefault("_dfs", Engine())
    return engine


def _errors(fn):
    """Storage failures become script errors with the engine's text."""
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (StorageError, PartitionError) as e:
            raise ScriptError(str(e)) from None
    wrapped.__signature__ = inspect.signature(fn)
    wrapped.__name__ = fn.__name__
    return wrapped


def dfs_builtin(name, min_args, max_args=-1, **kw):
    def register(fn):
        return builtin(name, min_args, max_args, **kw)(_errors(fn))
    return register


def _text(v, what):
    if not isinstance(v, Scalar) or v.type not in (STRING, SYMBOL):
        raise ScriptError(f"{what} must be a string")
    return v.value or ""


def _names(v, what):
    if v is None:
        return []
    if isinstance(v, Scalar) and v.type in (STRING, SYMBOL):
        return [v.value]
    if isinstance(v, Vector) and v.type in (STRING, SYMBOL):
        return list(v.data)
    raise ScriptError(f"{what} must be a string scalar or vector")


def _database(ctx, v) -> storage.Database:
    if isinstance(v, DatabaseHandle):
        return v.db
    return engine_of(ctx).database(_text(v, "The database"))


# ---- database(...) -------------------------------------------------------------------------
PARTITION_TYPE_CONSTANTS = {"SEQ": SEQ, "VALUE": VALUE, "RANGE": RANGE, "LIST": LIST, "COMPO": COMPO, "HASH": HASH}
for _name, _kind in PARTITION_TYPE_CONSTANTS.items():
    builtin(_name, 0)(constant(S(INT, _kind)))
for _name in ("ALL", "FIRST", "LAST"):
    builtin(_name, 0)(constant(S(STRING, _name)))

SCHEME_TYPES = storage.domains.SCHEME_TYPES


def _scheme_type(t):
    t = SYMBOL if t == STRING else t
    if t not in SCHEME_TYPES:
        raise ScriptError(f"The data type {type_name(t)} can't be used for a partition scheme.")
    return t


def _storage_values(v: Vector):
    return v.data.tolist()


def _level(kind, scheme) -> storage.Level:
    if kind == VALUE:
        if not isinstance(scheme, Vector) or scheme.type == ANY:
            raise ScriptError("The partition scheme of a VALUE domain must be a vector")
        return ValueLevel(_scheme_type(scheme.type), _storage_values(scheme))
    if kind == RANGE:
        if not isinstance(scheme, Vector) or scheme.type == ANY:
            raise ScriptError("The partition scheme of a RANGE domain must be a vector")
        return RangeLevel(_scheme_type(scheme.type), _storage_values(scheme))
    if kind == HASH:
        items = scheme.data if isinstance(scheme, Vector) else None
        if items is None or len(items) != 2:
            raise ScriptError("The partition scheme of a HASH domain must be [type, bucketCount]")
        t, n = (int(x.value) for x in items) if scheme.type == ANY else (int(x) for x in items)
        if t not in (*SCHEME_TYPES, LONG):
            raise ScriptError(f"The data type {type_name(t)} can't be used for a partition scheme.")
        return HashLevel(SYMBOL if t == STRING else t, n)
    if kind == LIST:
        if not isinstance(scheme, Vector):
            raise ScriptError("The partition scheme of a LIST domain must be a vector")
        items = scheme.data if scheme.type == ANY else [Scalar(scheme.type, x) for x in scheme.data.tolist()]
        if not items or not all(isinstance(i, (Scalar, Vector)) and i.type == items[0].type for i in items):
            raise ScriptError("The partition scheme of a LIST domain must hold scalars or vectors of one type")
        groups = [[i.value] if isinstance(i, Scalar) else i.data.tolist() for i in items]
        return ListLevel(_scheme_type(items[0].type), groups)
    if kind == SEQ:
        raise ScriptError("SEQ partitions are only supported by local databases, not by DFS databases.")
    raise ScriptError(f"Invalid partition type {kind}")


@dfs_builtin("database", 0, 7)
def database(ctx, directory=None, partitionType=None, partitionScheme=None, locations=None, engine=None,
             atomic=None, chunkGranularity=None):
    path = "" if directory is None else _text(directory, "The directory")
    if path and not path.startswith("dfs://"):
        raise ScriptError(f"Only DFS databases (dfs://...) or in-memory databases (\"\") are supported, not {path}")
    eng = engine_of(ctx)
    if partitionType is None:     # database("dfs://x") reopens; database("") is an unpartitioned in-memory one
        return DatabaseHandle(eng.database(path) if path else storage.Database("", []))
    kind = int(partitionType.value)
    if kind == COMPO:
        if not isinstance(partitionScheme, Vector) or partitionScheme.type != ANY or not \
                all(isinstance(x, DatabaseHandle) for x in partitionScheme.data) or not 2 <= len(partitionScheme) <= 3:
            raise ScriptError("The partition scheme of a COMPO domain must be a vector of 2 or 3 database handles.")
        levels = [lv for h in partitionScheme.data for lv in h.db.levels]
    else:
        if kind == VALUE and isinstance(partitionScheme, Vector) and partitionScheme.type == CHAR:
            # ['A', 'B']: how both clients write a Python list of one-letter names; they are names
            partitionScheme = char_as_string(partitionScheme)
        levels = [_level(kind, partitionScheme)]
    engine_name = (to_str(engine) if engine is not None else "OLAP").upper()
    atomic_name = (to_str(atomic) if atomic is not None else "TRANS").upper()
    return DatabaseHandle(eng.create_database(path, levels, engine_name, atomic_name))


# ---- tables -----------------------------------------------------------------------------------
def _column_defs(t: Table):
    if not isinstance(t, Table):
        raise ScriptError("The table argument must be a table.")
    return [ColumnDef(n, c.type, c.scale if c.type in (DECIMAL32, DECIMAL64, DECIMAL128) or
                      (isinstance(c, ArrayVector)) else 0) for n, c in t.columns.items()]


def _check_partition_types(db, cols, partition_columns):
    by_name = {c.name: c for c in cols}
    for level, name in zip(db.levels, partition_columns):
        t = by_name[name].type
        s = level.type
        same = (t in TEMPORAL and s in TEMPORAL) or (t in INTEGRAL and s in INTEGRAL) or \
               (t in (STRING, SYMBOL) and s in (STRING, SYMBOL)) or t == s
        if not same:
            raise ScriptError(f"The data type of the partitioning column {name} ({type_name(t)}) doesn't match "
                              f"the partition scheme ({type_name(s)}).")


def _create(ctx, dbHandle, table, tableName, partitionColumns, compressMethods, sortColumns, keepDuplicates,
            dimension, primaryKey=None):
    db = _database(ctx, dbHandle)
    name = _text(tableName, "The table name")
    cols = _column_defs(table)
    parts = [] if dimension else _names(partitionColumns, "partitionColumns")
    if not dimension and not parts:
        raise ScriptError("The partitioning column(s) must be specified.")
    _check_partition_types(db, cols, parts)
    compress = {}
    if isinstance(compressMethods, Dictionary):
        compress = {str(k): str(v.value if isinstance(v, Scalar) else v)
                    for k, v in zip(compressMethods.keys.data, _dict_values(compressMethods))}
    keep = (to_str(keepDuplicates) if keepDuplicates is not None else "ALL").upper()
    eng = engine_of(ctx)
    if primaryKey is not None and db.engine != "PKEY":
        raise ScriptError("The primaryKey parameter is only supported by the PKEY engine.")
    keys = _names(primaryKey, "primaryKey") if db.engine == "PKEY" else _names(sortColumns, "sortColumns")
    meta = eng.create_table(db, name, cols, parts, keys, keep, compress)
    return DfsTable(eng, db, meta)


def _dict_values(d):
    return [element(d.values, i) for i in range(len(d.values))]


@dfs_builtin("createPartitionedTable", 4, 13)
def create_partitioned_table(ctx, dbHandle, table, tableName, partitionColumns, compressMethods=None,
                             sortColumns=None, keepDuplicates=None, sortKeyMappingFunction=None, softDelete=None,
                             indexes=None, latestKeyCache=None, compressHashSortKey=None, encryptMode=None,
                             primaryKey=None):
    return _create(ctx, dbHandle, table, tableName, partitionColumns, compressMethods, sortColumns,
                   keepDuplicates, False, primaryKey)


@dfs_builtin("createTable", 3, 10, aliases=("createDimensionTable",))
def create_table(ctx, dbHandle, table, tableName, compressMethods=None, sortColumns=None, keepDuplicates=None,
                 sortKeyMappingFunction=None, softDelete=None, indexes=None, encryptMode=None, primaryKey=None):
    return _create(ctx, dbHandle, table, tableName, None, compressMethods, sortColumns, keepDuplicates, True,
                   primaryKey)


@dfs_builtin("loadTable", 2, 4)
def load_table(ctx, database, tableName, partitions=None, memoryMode=None):
    db = _database(ctx, database)
    eng = engine_of(ctx)
    return DfsTable(eng, db, eng.table(db, _text(tableName, "The table name")))


@dfs_builtin("existsDatabase", 1)
def exists_database(ctx, dbUrl):
    return S(BOOL, int(engine_of(ctx).exists_database(_text(dbUrl, "dbUrl"))))


@dfs_builtin("existsTable", 2)
def exists_table(ctx, dbUrl, tableName):
    eng = engine_of(ctx)
    path = _text(dbUrl, "dbUrl")
    if not eng.exists_database(path):
        return S(BOOL, 0)
    return S(BOOL, int(_text(tableName, "tableName") in eng.database(path).tables))


@dfs_builtin("dropDatabase", 1)
def drop_database(ctx, dbUrl):
    engine_of(ctx).drop_database(_text(dbUrl, "dbUrl"))
    return None


@dfs_builtin("dropTable", 2)
def drop_table(ctx, dbHandle, tableName):
    engine_of(ctx).drop_table(_database(ctx, dbHandle), _text(tableName, "tableName"))
    return None


@dfs_builtin("getClusterDFSDatabases", 0, 1)
def get_cluster_dfs_databases(ctx, includeSysDb=None):
    return V(STRING, engine_of(ctx).database_paths())


@dfs_builtin("getTables", 1)
def get_tables(ctx, dbHandle):
    return V(STRING, sorted(_database(ctx, dbHandle).tables))


@dfs_builtin("dropPartition", 2, 4)
def drop_partition(ctx, dbHandle, partitionPaths, tableName=None, forceDelete=None):
    db = _database(ctx, dbHandle)
    eng = engine_of(ctx)
    names = [tableName.value] if tableName is not None else sorted(db.tables)
    for name in names:
        meta = eng.table(db, name)
        existing = eng.partitions(db, meta)
        wanted = _partition_numbers(db, meta, eng, partitionPaths, existing)
        eng.drop_partitions(db, meta, wanted)
    return None


def _partition_numbers(db, meta, eng, spec, existing):
    items = spec.data if isinstance(spec, Vector) and spec.type == ANY else \
        [spec] if isinstance(spec, Scalar) else [Scalar(spec.type, x, spec.scale) for x in spec.data.tolist()]
    paths = {eng.path_of(db, meta, n): n for n in existing}
    out = set()
    for item in items:
        if isinstance(item, Scalar) and item.type in (STRING, SYMBOL) and (item.value or "").startswith("/"):
            p = item.value.rstrip("/")
            out.update(n for path, n in paths.items() if path == p or path.startswith(p + "/"))
            continue
        values = item.data if isinstance(item, Vector) and item.type == ANY else [item]
        allowed = []
        for level, v in zip(db.levels, values):
            arr = _scheme_data(v, level.type)
            allowed.append(level.matching("eq", arr))
        allowed += [None] * (len(db.levels) - len(allowed))
        out.update(eng.partitions(db, meta, allowed))
    return sorted(out)


# ---- conversions -------------------------------------------------------------------------------
def _scheme_data(v, scheme_type) -> np.ndarray:
    if isinstance(v, Scalar):
        v = vector_of([v])
    if v.type != scheme_type and not (v.type in (STRING, SYMBOL) and scheme_type in (STRING, SYMBOL)):
        v = cast(v, scheme_type)
    return v.data


def _cast_column(col, cdef: ColumnDef, name):
    if isinstance(col, Scalar):
        col = vector_of([col])
    if cdef.type >= ARRAY_BASE and cdef.type < 128:
        like = empty_column(cdef.type)
        like.values.scale = cdef.scale
        return rows_as_array_vector(col, like, name) if not (
            isinstance(col, ArrayVector) and col.type == cdef.type) else col
    if col.type == VOID:
        return empty_column(cdef.type, len(col))
    if col.type != cdef.type or (cdef.type in (DECIMAL32, DECIMAL64, DECIMAL128) and col.scale != cdef.scale):
        if col.type in (STRING, SYMBOL) and cdef.type in (STRING, SYMBOL):
            return Vector(cdef.type, col.data)
        try:
            col = cast(col, cdef.type, cdef.scale)
        except ScriptError:
            raise ScriptError(f"Failed to append data to column '{cdef.name}': expect type "
                              f"{type_name(cdef.type)}, got type {type_name(col.type)}.") from None
    return col


def _incoming_columns(meta, args):
    """tableInsert/append! arguments -> columns in the schema's order and types (by position)."""
    if len(args) == 1 and isinstance(args[0], Table):
        cols = list(args[0].columns.values())
    elif len(args) == 1 and isinstance(args[0], Vector) and args[0].type == ANY:
        cols = list(args[0].data)
    else:
        cols = list(args)
    if len(cols) != len(meta.columns):
        raise ScriptError("The number of columns of the table to insert must be the same as that of the "
                          "original table.")
    out = [_cast_column(c, d, d.name) for c, d in zip(cols, meta.columns)]
    n = {len(c) for c in out}
    if len(n) > 1:
        raise ScriptError("All columns must have the same length.")
    return out


def _partition_data(db, meta, cols):
    idx = [meta.names.index(p) for p in meta.partition_columns]
    return [_scheme_data(cols[i], level.type) for i, level in zip(idx, db.levels)]


def dfs_append(ctx, t: DfsTable, args) -> int:
    """Appends a table, a tuple or columns (by position, cast to the schema) to a DFS table."""
    cols = _incoming_columns(t.meta, args)
    return t.engine.append(t.db, t.meta, cols, _partition_data(t.db, t.meta, cols), ctx.check_cancelled)


# tableInsert / append! keep their in-memory behaviour; DFS handles go to the engine.
_memory_table_insert = BUILTINS["tableInsert"].fn
_memory_append = BUILTINS["append!"].fn


@dfs_builtin("tableInsert", 2, None)
def table_insert(ctx, t, *args):
    if isinstance(t, DfsTable):
        return S(INT, dfs_append(ctx, t, args))
    return _memory_table_insert(ctx, t, *args)


# append!/upsert! return the table they changed, a DFS handle included, so that
# `pt = db.createPartitionedTable(...).append!(t)` binds pt to the table.
@dfs_builtin("append!", 2, aliases=("push!",))
def append_(ctx, obj, newData):
    if isinstance(obj, DfsTable):
        dfs_append(ctx, obj, [newData])
        return obj
    return _memory_append(ctx, obj, newData)


# ---- upsert ----------------------------------------------------------------------------------
def upsert_columns(old, new, key_idx, ignore_null):
    """Rows of `new` whose key exists in `old` update the first such row; the others are appended.
    Returns (columns, inserted, updated)."""
    if len(new[0]) > 1:              # several new rows with one key: the last one counts
        codes = storage.key_codes([new[i] for i in key_idx])
        _, last_rev = np.unique(codes[::-1], return_index=True)
        keep = np.sort(len(codes) - 1 - last_rev)
        if len(keep) != len(codes):
            new = [storage.take(c, keep) for c in new]
    n_old = len(old[0]) if old else 0
    both = storage.concat_columns([old, new], [(c.type, c.scale) for c in old])
    codes = storage.key_codes([both[i] for i in key_idx])
    old_codes, new_codes = codes[:n_old], codes[n_old:]
    uniq, first = np.unique(old_codes, return_index=True)
    pos = np.searchsorted(uniq, new_codes)
    pos = np.minimum(pos, max(len(uniq) - 1, 0))
    hit = (len(uniq) > 0) & (uniq[pos] == new_codes) if len(uniq) else np.zeros(len(new_codes), bool)
    target = first[pos[hit]]
    src = np.nonzero(hit)[0]
    out = []
    for i, (o, nw) in enumerate(zip(old, new)):
        if i in key_idx or isinstance(o, ArrayVector) or o.data is None or not len(src):
            out.append(o)
            continue
        data = o.data.copy()
        values = nw.data[src]
        if ignore_null:
            keep = ~null_mask(Vector(nw.type, values))
            data[target[keep]] = values[keep]
        else:
            data[target] = values
        out.append(Vector(o.type, data, o.scale))
    fresh = np.nonzero(~hit)[0]
    if len(fresh):
        out = storage.concat_columns([out, [storage.take(c, fresh) for c in new]], [(c.type, c.scale) for c in old])
    return out, int(len(fresh)), int(len(src))


def _upsert(ctx, obj, newData, ignoreNull, keyColNames):
    ignore = bool(ignoreNull is not None and ignoreNull.value)
    if isinstance(obj, DfsTable):
        meta = obj.meta
        keys = _names(keyColNames, "keyColNames") or list(meta.sort_columns)
        if not keys:
            raise ScriptError("The keyColNames parameter must be specified for an OLAP table.")
        keys = list(dict.fromkeys(keys + meta.partition_columns))
        missing = [k for k in keys if k not in meta.names]
        if missing:
            raise ScriptError(f"The key column {missing[0]} does not exist in the table.")
        cols = _incoming_columns(meta, [newData])
        key_idx = [meta.names.index(k) for k in keys]
        return obj.engine.upsert(obj.db, meta, cols, _partition_data(obj.db, meta, cols),
                                 lambda old, new: upsert_columns(old, new, key_idx, ignore), ctx.check_cancelled)
    if isinstance(obj, Table):
        keys = _names(keyColNames, "keyColNames") or list(getattr(obj, "keys", []) or [])
        if not keys:
            raise ScriptError("upsert! needs a keyed table, an indexed table or a DFS table.")
        names = list(obj.columns)
        meta_cols = [ColumnDef(n, c.type, c.scale) for n, c in obj.columns.items()]
        new = [_cast_column(c, d, d.name) for c, d in zip(_table_columns(newData, len(names)), meta_cols)]
        merged, inserted, updated = upsert_columns(list(obj.columns.values()), new,
                                                   [names.index(k) for k in keys], ignore)
        with APPEND_LOCK:
            obj.columns.update(zip(names, merged))
        table_changed(ctx, obj)
        return inserted, updated
    raise ScriptError("upsert! needs a keyed table, an indexed table or a DFS table.")


def _table_columns(v, n):
    cols = list(v.columns.values()) if isinstance(v, Table) else list(v.data) if isinstance(v, Vector) else None
    if cols is None or len(cols) != n:
        raise ScriptError("The number of columns of the table to insert must be the same as that of the "
                          "original table.")
    return cols


@dfs_builtin("upsert!", 2, 5)
def upsert_(ctx, obj, newData, ignoreNull=None, keyColNames=None, sortColumns=None):
    _upsert(ctx, obj, newData, ignoreNull, keyColNames)
    return obj


@dfs_builtin("tableUpsert", 2, 5)
def table_upsert(ctx, obj, newData, ignoreNull=None, keyColNames=None, sortColumns=None):
    inserted, updated = _upsert(ctx, obj, newData, ignoreNull, keyColNames)
    return Vector(LONG, np.array([inserted, updated], dtype=np.int64), form=2)


# ---- hashBucket ------------------------------------------------------------------------------
@dfs_builtin("hashBucket", 2)
def hash_bucket(ctx, X, buckets):
    n = buckets.value if isinstance(buckets, Scalar) and buckets.type in INTEGRAL else None
    if n is None or n <= 0:
        raise ScriptError("The number of buckets must be a positive integer.")
    scalar = isinstance(X, Scalar)
    data = as_array(X)
    try:
        r = storage.hash_bucket(X.type, np.atleast_1d(data), int(n))
    except NotHashable as e:
        raise ScriptError(str(e)) from None
    return S(INT, int(r[0])) if scalar else Vector(INT, r)


# ---- schema --------------------------------------------------------------------------------
_memory_schema = BUILTINS["schema"].fn


def _dict(items):
    return Dictionary(V(STRING, [k for k, _ in items]), Vector(ANY, [v for _, v in items]))


def _level_schema(level):
    if level.kind == HASH:
        return S(INT, level.buckets)
    if level.kind == LIST:
        return Vector(ANY, [Scalar(level.type, g[0]) if len(g) == 1 else
                            V(level.type, np.array(g, dtype=_dtype(level.type))) for g in level.groups])
    t, data = level.schema_values()
    return Vector(t, data.copy())


def _dtype(t):
    return STORAGE_DTYPE.get(t, object)


def _per_level(db, fn, scalar_type, compo_tuple=False):
    values = [fn(lv) for lv in db.levels]
    if len(values) == 1:
        return values[0]
    if compo_tuple:
        return Vector(ANY, values)
    return V(scalar_type, [v.value for v in values])


def _database_items(db):
    compo = len(db.levels) > 1
    return [
        ("partitionType", S(INT, COMPO) if compo else S(INT, db.levels[0].kind)),
        ("partitionTypeName", S(STRING, "COMPO" if compo else KIND_NAMES[db.levels[0].kind])),
        ("partitionSchema", _per_level(db, _level_schema, None, compo_tuple=True)),
        ("partitionColumnType", _per_level(db, lambda lv: S(INT, lv.type), INT)),
        ("partitionSites", S(VOID, None)),
        ("databaseDir", S(STRING, db.path)),
        ("engineType", S(STRING, db.engine)),
        ("atomic", S(STRING, db.atomic)),
        ("chunkGranularity", S(STRING, "TABLE")),
        ("databaseOwner", S(STRING, "admin")),
        ("clusterReplicationEnabled", S(BOOL, 0)),
    ]


def _table_schema(t: DfsTable):
    meta, db = t.meta, t.db
    col_defs = Table({
        "name": V(STRING, meta.names),
        "typeString": V(STRING, [type_string(c.type, c.scale) for c in meta.columns]),
        "typeInt": V(INT, [c.type for c in meta.columns]),
        "extra": V(INT, [c.scale if (c.type % ARRAY_BASE if c.type >= ARRAY_BASE else c.type) in
                         (DECIMAL32, DECIMAL64, DECIMAL128) else -(1 << 31) for c in meta.columns]),
        "comment": V(STRING, [""] * len(meta.columns)),
        "sensitive": V(BOOL, [0] * len(meta.columns)),
    })
    items = [("colDefs", col_defs)]
    if meta.partition_columns:
        levels = list(zip(db.levels, meta.partition_columns))
        compo = len(levels) > 1
        items += [
            ("partitionColumnName", V(STRING, meta.partition_columns) if compo else S(STRING, levels[0][1])),
            ("partitionColumnIndex", V(INT, [meta.names.index(n) for _, n in levels]) if compo
             else S(INT, meta.names.index(levels[0][1]))),
            ("partitionColumnType", V(INT, [lv.type for lv, _ in levels]) if compo else S(INT, levels[0][0].type)),
            ("partitionType", V(INT, [lv.kind for lv, _ in levels]) if compo else S(INT, levels[0][0].kind)),
            ("partitionTypeName", V(STRING, [KIND_NAMES[lv.kind] for lv, _ in levels]) if compo
             else S(STRING, KIND_NAMES[levels[0][0].kind])),
            ("partitionSchema", Vector(ANY, [_level_schema(lv) for lv, _ in levels]) if compo
             else _level_schema(levels[0][0])),
        ]
    else:
        items.append(("partitionColumnIndex", S(INT, -1)))
    items += [(k, v) for k, v in _database_items(db) if k in (
        "partitionSites", "databaseDir", "engineType", "atomic", "chunkGranularity", "databaseOwner",
        "clusterReplicationEnabled")]
    items += [
        ("dbUrl", S(STRING, db.path)),
        ("tableName", S(STRING, meta.name)),
        ("tableOwner", S(STRING, "admin")),
        ("tableComment", S(STRING, "")),
        ("keepDuplicates", S(STRING, meta.keep_duplicates)),
        ("softDelete", S(BOOL, 0)),
        ("encryptMode", S(STRING, "plaintext")),
        ("compressMethods", Table({"name": V(STRING, meta.names),
                                   "compressMethods": V(STRING, [meta.compress.get(n, "lz4") for n in meta.names])})),
    ]
    if db.engine == "TSDB":
        items += [("sortColumns", V(STRING, meta.sort_columns)), ("sortKeyMappingFunction", S(VOID, None))]
    elif db.engine == "PKEY":
        items.append(("primaryKey", V(STRING, meta.sort_columns)))
    return _dict(items)


@builtin("schema", 1)
def schema(ctx, t):
    if isinstance(t, DfsTable):
        return _table_schema(t)
    if isinstance(t, DatabaseHandle):
        return _dict(_database_items(t.db))
    return _memory_schema(ctx, t)


# ---- queries ---------------------------------------------------------------------------------
_COMPARISONS = {"eq": "eq", "lt": "lt", "le": "le", "gt": "gt", "ge": "ge", "in": "eq"}
_MIRROR = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq"}


def _conjuncts(conds):
    for c in conds:
        if isinstance(c, Binary) and c.op == "and":
            yield from _conjuncts([c.left, c.right])
        else:
            yield c


def _mentions_column(e, names):
    return any(isinstance(x, Var) and x.name in names for x in walk(e))


def prune(interp, t: DfsTable, conds):
    """Partition numbers a where clause can touch: conditions `col op constant` on partitioning
    columns narrow each level; anything else leaves the level open."""
    meta, db = t.meta, t.db
    if not meta.partition_columns or not conds:
        return None
    allowed = [None] * len(db.levels)
    names = set(meta.names)
    for c in _conjuncts(conds):
        if not isinstance(c, Binary) or c.op not in _COMPARISONS:
            continue
        op, left, right = c.op, c.left, c.right
        if not (isinstance(left, Var) and left.name in meta.partition_columns):
            if op != "in" and isinstance(right, Var) and right.name in meta.partition_columns:
                left, right, op = right, left, _MIRROR[op]
            else:
                continue
        if _mentions_column(right, names):
            continue
        level_no = meta.partition_columns.index(left.name)
        level = db.levels[level_no]
        try:
            value = interp.eval(right)
            data = _scheme_data(value, level.type)
        except ScriptError:
            continue
        if isinstance(value, Scalar) and value.value is None:
            continue
        hit = level.matching(_COMPARISONS[op], np.asarray(data))
        if hit is None:
            continue
        hit = set(np.asarray(hit).tolist())
        allowed[level_no] = hit if allowed[level_no] is None else allowed[level_no] & hit
    if all(a is None for a in allowed):
        return None
    return t.engine.partitions(db, meta, allowed)


def scan(interp, t: DfsTable, where) -> Table:
    return t.read(prune(interp, t, where))


def _rewrite(interp, t: DfsTable, where, change):
    numbers = prune(interp, t, where)
    if numbers is None:
        numbers = t.engine.partitions(t.db, t.meta)
    names = t.meta.names

    def fn(number, cols):
        part = Table(dict(zip(names, cols)))
        mask = where_mask(interp, part, where) if where else np.ones(part.rows, dtype=bool)
        if not mask.any():
            return None
        return change(part, mask)
    t.engine.rewrite(t.db, t.meta, numbers, fn, interp.ctx.check_cancelled)


def delete(interp, t: DfsTable, where):
    _rewrite(interp, t, where, lambda part, mask: [storage.take(c, ~mask) for c in part.columns.values()])


def update(interp, t: DfsTable, sets, where):
    for name, _ in sets:
        if name in t.meta.partition_columns:
            raise ScriptError("The partitioning column cannot be updated.")
        if name not in t.meta.names:
            raise ScriptError(f"Unrecognized column name {name}")

    def change(part, mask):
        defs = {c.name: c for c in t.meta.columns}
        for name, expr in sets:
            value = eval_on(interp, part, expr)
            col = part.columns[name]
            data = col.data.copy()
            if isinstance(value, Scalar):
                data[mask] = scalar_storage(cast(value, col.type, col.scale))
            else:
                data[mask] = _cast_column(value, defs[name], name).data[mask]
            part.columns[name] = Vector(col.type, data, col.scale)
        return list(part.columns.values())
    _rewrite(interp, t, where, change)


def drop_statement(interp, e):
    """`drop database [if exists] "dfs://x"` / `drop table [if exists] "dfs://x"."t"`."""
    what, db_expr, table_expr, if_exists = e.what, e.path, e.table, e.if_exists
    ctx = interp.ctx
    eng = engine_of(ctx)
    path = _text(interp.eval(db_expr), "The database")
    try:
        if what == "database":
            if if_exists and not eng.exists_database(path):
                return None
            eng.drop_database(path)
        else:
            name = _text(interp.eval(table_expr), "The table name")
            if if_exists and not (eng.exists_database(path) and name in eng.database(path).tables):
                return None
            eng.drop_table(eng.database(path), name)
    except StorageError as err:
        raise ScriptError(str(err)) from None
    return None


class MetaCode(Scalar):
    """<expression>: code passed to a function unevaluated (loadTableBySQL)."""

    def __init__(self, expr):
        super().__init__(24, "<code>")    # CODE
        self.expr = expr
