"""The Session's data-management methods (BULK_WRITERS.md §7): `table`, `loadTable`, `database`,
`existsDatabase`, `dropTable`, `loadText`, ... Each sends the official client's script text,
except where that text is a known defect: `loadTextEx` quotes its delimiter and uses a
temporary database handle instead of overwriting a session variable `db`, `loadTableBySQL`
reads through a temporary handle instead of assigning a variable named after the table, and
every temporary handle (`TMP_DB_…DB`, `TMP_TBL_…`) is freed (in batches, see `_script.Temporaries`).
"""
from __future__ import annotations

import logging
import re
import warnings
from datetime import datetime
from typing import List, Optional, Union

import numpy as np

from ._script import (Temporaries, identifier, partition_token, string_literal, temp_db_name,
                      temp_table_name)
from .database import Database
from .table import Table
from .utils import hash_bucket

log = logging.getLogger("dolphindb")
_TEMPORAL_FORMATS = ("%Y.%m.%d", "%Y.%mM", "%Y.%m.%dT%H")
_VAR_TYPES = ("VAR", "SHARED", "DEF")


def _is_temporal_text(text: str) -> bool:
    for fmt in _TEMPORAL_FORMATS:
        try:
            datetime.strptime(text, fmt)
            return True
        except ValueError:
            pass
    return False


def _partition_value(value) -> str:
    """loadTable partitions: temporal-looking strings bare, other strings quoted, numbers str()."""
    if isinstance(value, str):
        return value if _is_temporal_text(value) else string_literal(value, "'")
    return partition_token(value)


def _datetime64_list(values) -> str:
    """The official client's text for a datetime64 partition scheme: dates and months as
    literals, anything finer as a DATEHOUR vector."""
    texts = [str(v) for v in values]
    if len(texts[0]) in (7, 10):
        return "[" + ",".join(t.replace("-", ".") + ("M" if len(t) == 7 else "") for t in texts) + "]"
    items = []
    for t in texts:
        item = t.replace("-", ".").replace("T", " ")
        item += {13: ":00:00", 16: ":00"}.get(len(t), "")
        items.append(item)
    return "datehour([" + ",".join(items) + "])"


def _scheme_text(value) -> str:
    """A partition scheme as Python's str() writes it (the official client's text: `[0, 10, 20]`,
    `[['IBM', 'ORCL'], ['GOOG']]`), with strings escaped so none can end its literal."""
    if isinstance(value, str):
        return string_literal(value, "'")
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scheme_text(v) for v in value) + "]"
    if isinstance(value, Database):
        return value._getDbName()
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("a partition scheme cannot hold booleans")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    raise TypeError(f"a partition scheme cannot hold {type(value).__name__}")


def _partition_scheme(partitions) -> str:
    if partitions is None:
        return ""
    if isinstance(partitions, (int, np.integer)) and not isinstance(partitions, bool):
        return str(partitions)                    # SEQ: the number of partitions
    if len(partitions) == 0:
        raise ValueError("partitions must not be empty")
    first = partitions[0]
    if isinstance(first, np.datetime64):
        return _datetime64_list(partitions)
    if isinstance(first, Database):
        if not all(isinstance(d, Database) for d in partitions):
            raise TypeError("a COMPO scheme is a list of Database objects")
        return "[" + ",".join(d._getDbName() for d in partitions) + "]"
    return _scheme_text(partitions)


class CatalogMethods:
    """Mixed into Session. Needs `run`, `upload` and `enableChunkGranularityConfig`."""

    # -- temporaries ---------------------------------------------------------------------------
    @property
    def _temporaries(self) -> Temporaries:
        pending = self.__dict__.get("_pending_undefs")
        if pending is None:
            pending = self.__dict__.setdefault("_pending_undefs", Temporaries())
        return pending

    def _free_temporaries(self) -> None:
        """Frees, in one request, the temporary variables of collected Tables and used handles.
        Called before each request of the session; sends nothing until a batch is due
        (`Temporaries.BATCH` names, or the oldest `Temporaries.MAX_AGE` seconds old)."""
        pending = self.__dict__.get("_pending_undefs")
        if pending is None or not pending.due():
            return
        names = pending.take()
        if not names:
            return
        try:
            self.run(Temporaries.undef_script(names))
        except RuntimeError as e:
            # A variable already gone (undef all, a reconnect's new session) or a broken link:
            # the caller's own request reports the latter; the names are freed either way.
            log.debug("freeing %d temporary variables failed: %s", len(names), e)

    # -- tables --------------------------------------------------------------------------------
    def table(self, dbPath: str = None, data=None, tableAliasName: str = None, inMem: bool = False,
              partitions: Optional[list] = None) -> Table:
        """A Table over uploaded data (DataFrame, dict, or pyarrow.Table under PROTOCOL_ARROW), a
        session table (`data="name"`) or a DFS table (`dbPath=..., data="name"`)."""
        return Table(dbPath=dbPath, data=data, tableAliasName=tableAliasName, inMem=inMem,
                     partitions=partitions or [], s=self, isMaterialized=True)

    def loadTable(self, tableName: str, dbPath: Optional[str] = None, partitions=None,
                  memoryMode: bool = False) -> Table:
        if not dbPath:
            return Table(data=tableName, s=self, needGC=False, isMaterialized=True)
        handle = temp_table_name(tableName)
        if partitions is None or (isinstance(partitions, list) and not partitions):
            parts = ""
        elif isinstance(partitions, list):
            parts = "[" + ",".join(_partition_value(p) for p in partitions) + "]"
        else:
            parts = _partition_value(partitions)
        self.run(f"{handle} = loadTable({string_literal(dbPath)}, {string_literal(tableName)},{parts},"
                 f"{str(bool(memoryMode)).lower()})")
        return Table(data=handle, s=self, isMaterialized=True)

    def loadTableBySQL(self, tableName: str, dbPath: str, sql: str) -> Table:
        """Loads the rows `sql` selects as an in-memory partitioned table. `sql` names the table
        as `tableName`; it reads through a temporary handle, so no session variable is touched."""
        identifier(tableName, "table")
        handle = temp_table_name(tableName)
        source = re.compile(r"(\bfrom\s+)" + re.escape(tableName) + r"\b", re.IGNORECASE)
        if not source.search(sql):
            raise ValueError(f"sql must select from {tableName}: {sql!r}")
        query = source.sub(lambda m: m.group(1) + handle, sql)
        result = temp_table_name()
        try:
            self.run(f"\n            {handle}=loadTable({string_literal(dbPath)}, {string_literal(tableName)});"
                     f"\n            {result}=loadTableBySQL(<{query}>);\n        ")
        finally:
            self._temporaries.discard(handle)
        return Table(data=result, s=self, isMaterialized=True)

    def loadText(self, remoteFilePath: str, delimiter: str = ",") -> Table:
        name = temp_table_name()
        self.run(f"{name}=loadText({string_literal(remoteFilePath)},{string_literal(delimiter)})")
        return Table(data=name, s=self, isMaterialized=True)

    def ploadText(self, remoteFilePath: str, delimiter: str = ",") -> Table:
        name = temp_table_name()
        self.run(f"{name}= ploadText({string_literal(remoteFilePath)},{string_literal(delimiter)})")
        return Table(data=name, s=self, isMaterialized=True)

    def loadTextEx(self, dbPath: str, tableName: str, partitionColumns: Optional[List[str]] = None,
                   remoteFilePath: str = None, delimiter: str = ",",
                   sortColumns: Optional[List[str]] = None) -> Table:
        columns = "[" + ",".join(string_literal(c) for c in (partitionColumns or [])) + "]"
        sort = ""
        if sortColumns:
            sort = ", sortColumns=[" + ",".join(string_literal(c) for c in sortColumns) + "]"
        loaded = temp_table_name()
        is_path = "/" in dbPath or "\\" in dbPath or "dfs://" in dbPath
        if is_path:
            db = temp_db_name()
            self.run(f"{db}=database({string_literal(dbPath)})")
            target = db
        else:
            target = string_literal(dbPath)
        try:
            self.run(f"{loaded} = loadTextEx({target}, {string_literal(tableName)}, {columns}, "
                     f"{string_literal(remoteFilePath or '')}, {string_literal(delimiter)}{sort})")
        finally:
            if is_path:
                self._temporaries.discard(db)
        if is_path:
            self._temporaries.discard(loaded)
            return Table(data=tableName, dbPath=dbPath, s=self)
        return Table(data=loaded, s=self)

    def saveTable(self, tbl: Table, dbPath: str) -> bool:
        db = temp_db_name()
        self.run(f"{db}=database({string_literal(dbPath, chr(39))})")
        try:
            self.run(f"saveTable({db}, {tbl.tableName()})")
        finally:
            self._temporaries.discard(db)
        return True

    # -- databases -----------------------------------------------------------------------------
    def database(self, dbName: str = None, partitionType: int = None, partitions=None, dbPath: str = None,
                 engine: str = None, atomic: str = None, chunkGranularity: str = None) -> Database:
        """Creates (or opens, with only dbPath) a database and holds its handle in the session
        variable `dbName` (a generated `TMP_DB_…DB` name when None)."""
        name = identifier(dbName, "database handle") if dbName is not None else temp_db_name()
        script = f"{name}=database({string_literal(dbPath or '')}"
        if partitionType is not None:
            script += f",{int(partitionType)},{_partition_scheme(partitions)}"
        if engine is not None:
            script += ",engine=" + string_literal(engine, "'")
        if atomic is not None:
            script += ",atomic=" + string_literal(atomic, "'")
        if chunkGranularity is not None:
            if getattr(self, "enableChunkGranularityConfig", False):
                script += ",chunkGranularity=" + string_literal(chunkGranularity, "'")
            else:
                warnings.warn("chunkGranularity is ignored: create the Session with "
                              "enableChunkGranularityConfig=True to pass it", stacklevel=2)
        self.run(script + ")")
        return Database(dbName=name, s=self)

    def existsDatabase(self, dbUrl: str) -> bool:
        return self.run(f"existsDatabase({string_literal(dbUrl, chr(39))})")

    def existsTable(self, dbUrl: str, tableName: str) -> bool:
        return self.run(f"existsTable({string_literal(dbUrl, chr(39))},{string_literal(tableName, chr(39))})")

    def dropDatabase(self, dbPath: str) -> None:
        self.run(f"dropDatabase({string_literal(dbPath, chr(39))})")

    def dropTable(self, dbPath: str, tableName: str) -> None:
        db = temp_db_name()
        self.run(f"{db}=database({string_literal(dbPath)})")
        try:
            self.run(f"dropTable({db}, {string_literal(tableName)})")
        finally:
            self._temporaries.discard(db)

    def dropPartition(self, dbPath: str, partitionPaths: Union[str, List[str]], tableName: str = None) -> None:
        """partitionPaths are DolphinDB literals, as in the official client: `"'/20240101'"` (a
        quoted path) or `"2024.01.01"` (a partition value); anything else is refused."""
        paths = partitionPaths if isinstance(partitionPaths, list) else [partitionPaths]
        listed = ",".join(partition_token(p) for p in paths)
        db = temp_db_name()
        self.run(f"{db} = database({string_literal(dbPath)})")
        try:
            if tableName:
                self.run(f"dropPartition({db}, [{listed}], {string_literal(tableName)})")
            else:
                self.run(f"dropPartition({db}, [{listed}])")
        finally:
            self.run(f"undef({string_literal(db)})")

    # -- session variables ---------------------------------------------------------------------
    def undef(self, varName: str, varType: str = "VAR") -> None:
        if varType not in _VAR_TYPES:
            raise ValueError(f"varType must be one of {', '.join(_VAR_TYPES)}, not {varType!r}")
        self.run(f"undef({string_literal(varName)}, {varType})")

    def undefAll(self) -> None:
        self._temporaries.clear()   # `undef all` frees them too
        self.run("undef all")

    def clearAllCache(self, dfs: bool = False) -> None:
        self.run("pnodeRun(clearAllCache)" if dfs else "clearAllCache()")

    def hashBucket(self, obj, nBucket: int):
        """DolphinDB's bucket hash computed in the client (no request); see dolphindb.utils."""
        return hash_bucket(obj, nBucket)
