"""The DFS storage engine of the embedded server (databases, partitioned tables, transactions,
durable partition files). The interpreter reaches it only through `Engine` (engine.py)."""
from .domains import (COMPO, HASH, KIND_NAMES, LIST, RANGE, SEQ, VALUE, HashLevel, Level, ListLevel, RangeLevel,
                      ValueLevel)
from ..errors import ChunkInTransaction, NotHashable, PartitionError, StorageError
from .engine import ColumnDef, Database, Engine, TableMeta, concat_columns, key_codes, take
from .hashing import hash_bucket

__all__ = ["Engine", "Database", "TableMeta", "ColumnDef", "Level", "ValueLevel", "RangeLevel", "HashLevel",
           "ListLevel", "PartitionError", "StorageError", "ChunkInTransaction", "NotHashable", "hash_bucket",
           "concat_columns", "key_codes", "take", "SEQ", "VALUE", "RANGE", "LIST", "COMPO", "HASH", "KIND_NAMES"]
