"""Bulk writers: PartitionedTableAppender, TableAppender / TableUpserter, MultithreadedTableWriter
and the deprecated BatchTableWriter, with the official 3.0.6.1 names, scripts and error texts.

The work is native (`dolphindb._core`, cpp/writers/): a DataFrame is converted once to the
target column types; partition keys (VALUE / RANGE / LIST / HASH domains and the bucket hash)
are computed over the column buffers without the GIL; PartitionedTableAppender sends one group
per set of partitions to the pool and waits on the completions; MultithreadedTableWriter runs
native writer threads, each with its own connection and a columnar queue that `insert` fills
directly.

Where we differ from the official client, deliberately:
  * PartitionedTableAppender waits on completions (no 100 ms polling, no lost-wake-up hang), uses
    no task ids (two appenders on one pool cannot mix results), accepts pyarrow.Table, and when a
    group fails raises after every group finished, with `.failed_rows` (row numbers of the input
    that did not land) and `.written` (rows the other groups wrote) on the exception.
  * MultithreadedTableWriter converts a row inside `insert`: a value that does not convert is
    refused right there (errorCode "A1", nothing queued, the writer keeps running) instead of
    failing the whole background batch and stopping every thread. A batch resent after a broken
    connection carries its clientId/seqNo, so the server never applies it twice. A row whose
    partitioning value is NULL or outside every partition of a partitioned table is refused by
    `insert` (errorCode "A1"; `insert_frame` refuses the whole frame, naming the row, as
    PartitionedTableAppender does) instead of going through thread 0 to be dropped or refused by
    the server together with the good rows of its batch. (Unpartitioned tables route any value.)
  * TableUpserter.upsert returns UpsertResult(inserted, updated) instead of always 0, and sends
    no `undef` of its lambda when collected.
"""
from __future__ import annotations

import atexit
import logging
import math
import re
import warnings
import weakref
from typing import NamedTuple

from . import _core
from ._options import timeout_ms

log = logging.getLogger("dolphindb")

# How long a writer's constructor waits for the server's answers (its schema and partitioning)
# unless told otherwise (`timeout`); connecting is bounded by `netTimeout` (default 3 s, as the
# official client's network timeout).
SETUP_TIMEOUT = 30.0
NET_TIMEOUT = 3.0
# At interpreter exit, how long a writer that was not waited for may go on sending its queue.
EXIT_FLUSH_TIMEOUT = 5.0

_live_writers: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _stop_live_writers():
    """Writer threads end before the interpreter finalizes. A writer nobody waited for sends
    what it has queued for up to EXIT_FLUSH_TIMEOUT seconds, then stops; the rows it could not
    send are logged (they end with the process)."""
    for writer in list(_live_writers):
        try:
            writer._core.wait(int(EXIT_FLUSH_TIMEOUT * 1000))
        except Exception as exc:
            lost = sum(len(t) for t in writer._core.unwritten())
            log.error("MultithreadedTableWriter: %d rows were not written before exit: %s", lost, exc)


def _setup_timeout_ms(value) -> int:
    return timeout_ms(value if value is not None else SETUP_TIMEOUT, "timeout")

_PREFIX = re.compile(r"^<Exception> in \w+: ")
_NOT_DF = "table must be a DataFrame!"
_PART_TYPES = {0: "SEQ", 1: "VALUE", 2: "RANGE", 3: "LIST", 4: "COMPO", 5: "HASH"}


def _server_text(exc: BaseException) -> str:
    """An error's text without our client's '<Exception> in run: ' prefix."""
    return _PREFIX.sub("", str(exc))


def _renamed(new: str, old: str, new_value, old_value):
    if old_value is None:
        return new_value
    warnings.warn(f"The parameter '{old}' is deprecated, please use '{new}' instead.", DeprecationWarning,
                  stacklevel=3)
    return old_value


def _is_frame(obj) -> bool:
    import pandas as pd
    return isinstance(obj, pd.DataFrame)


def _is_arrow_table(obj) -> bool:
    return type(obj).__module__.startswith("pyarrow") and type(obj).__name__ == "Table"


class _Schema:
    """What a writer keeps of `schema(...)` for its whole life (§1.1)."""

    def __init__(self, answer: dict):
        cols = answer["colDefs"]
        self.names = [str(n) for n in cols["name"]]
        self.types = [int(t) for t in cols["typeInt"]]
        extras = cols["extra"] if "extra" in cols else [None] * len(self.names)
        self.scales = [0 if e is None or (isinstance(e, float) and math.isnan(e)) else int(e) for e in extras]
        name = answer.get("partitionColumnName")
        if name is None or (isinstance(name, str) and not name):   # unpartitioned: in-memory, stream, dimension
            self.partition_names = []
        else:
            self.partition_names = [name] if isinstance(name, str) else [str(x) for x in name]
        self.levels = []   # (name, partitionType, partitionColumnType, partitionSchema, column index)
        if self.partition_names:
            compo = len(self.partition_names) > 1 or not isinstance(name, str)
            types = answer["partitionType"]
            col_types = answer["partitionColumnType"]
            schemes = answer["partitionSchema"]
            indexes = answer["partitionColumnIndex"]
            for i, level_name in enumerate(self.partition_names):
                if compo:
                    self.levels.append((level_name, int(types[i]), int(col_types[i]), schemes[i], int(indexes[i])))
                else:
                    self.levels.append((level_name, int(types), int(col_types), schemes, int(indexes)))

    def level(self, column: str):
        for level in self.levels:
            if level[0] == column:
                return level
        return None


def _domain(level) -> _core.PartitionDomain:
    _, ptype, ctype, scheme, _ = level
    if ptype in (0, 4) or ptype not in _PART_TYPES:
        raise RuntimeError(f"Unsupported partition type {_PART_TYPES.get(ptype, ptype)}")
    return _core.PartitionDomain(ptype, ctype, scheme)


def _schema_script(db_path: str, table_name: str, spaced: bool) -> str:
    if db_path:
        sep = ", " if spaced else ","
        return f'schema(loadTable("{db_path}"{sep}"{table_name}"))'
    return f"schema({table_name})"


def _insert_script(db_path: str, table_name: str) -> str:
    return f"tableInsert{{loadTable('{db_path}', '{table_name}')}}" if db_path else f"tableInsert{{{table_name}}}"


# ---------------------------------------------------------------------------------------------
# PartitionedTableAppender
# ---------------------------------------------------------------------------------------------

class PartitionedTableAppender:
    """Appends DataFrames to a partitioned table through a DBConnectionPool, one group of
    partitions per task so that no two connections write one partition at once."""

    def __init__(self, db_path=None, table_name=None, partition_col=None, pool=None, *, dbPath=None,
                 tableName=None, partitionColName=None, dbConnectionPool=None, timeout=None):
        """`timeout` (keyword-only; seconds or timedelta, default SETUP_TIMEOUT = 30 s) bounds the
        schema request the constructor sends through the pool; past it, or on Ctrl-C, the request
        is cancelled and DDBTimeoutError / KeyboardInterrupt raised."""
        from .pool import DBConnectionPool
        db_path = _renamed("db_path", "dbPath", db_path, dbPath) or ""
        table_name = _renamed("table_name", "tableName", table_name, tableName) or ""
        partition_col = _renamed("partition_col", "partitionColName", partition_col, partitionColName) or ""
        pool = _renamed("pool", "dbConnectionPool", pool, dbConnectionPool)
        if not isinstance(pool, DBConnectionPool):
            raise Exception("pool must be a dolphindb DBConnectionPool!")
        self._pool = pool
        script = _schema_script(db_path, table_name, spaced=True)
        setup_ms = _setup_timeout_ms(timeout)
        future = pool.runTaskAsync(script, timeout=setup_ms / 1000 if setup_ms > 0 else None)
        try:
            answer = future.result()
        except _core.DDBTimeoutError:
            raise _core.DDBTimeoutError(f"PartitionedTableAppender: the server did not answer {script} within "
                                        f"{setup_ms} ms") from None
        except Exception as exc:
            text = _server_text(exc)
            text = re.sub(r"^Task \[\d+\] come across exception : ", "", text)
            raise RuntimeError(f"Task [-1] come across exception : {text}") from None
        except BaseException:
            future.cancel()   # Ctrl-C: the task goes (and its job on the server), not just the wait
            raise
        self._schema = _Schema(answer)
        level = self._schema.level(partition_col)
        if level is None:
            raise RuntimeError("Can't find specified partition column name.")
        self._domain = _domain(level)
        self._column = level[4]
        self._insert = _insert_script(db_path, table_name)
        self._connections = pool.pool.stats()["connections"]

    def append(self, table) -> int:
        """Appends `table` (a DataFrame or pyarrow.Table); returns the rows the server reports."""
        if self._pool.is_shutdown():
            raise RuntimeError("DBConnectionPool has been shut down.")
        if not (_is_frame(table) or _is_arrow_table(table)):
            raise RuntimeError(_NOT_DF)
        if len(table) == 0:
            return 0
        s = self._schema
        try:
            fitted = _core.fit_table(table, s.names, s.types, s.scales,
                                     "The input table doesn't match the schema of the target table.", False)
            groups = _core.partition_groups(fitted, self._column, self._domain, self._connections)
        except _core.DolphinDBError as exc:
            raise type(exc)(f"<Exception> in append: {exc}") from None
        return self._send(groups)

    def _send(self, groups) -> int:
        import concurrent.futures
        futures, handles = [], []
        for part, rows in groups:
            fut = concurrent.futures.Future()

            def done(result, exc, fut=fut):
                if exc is not None:
                    fut.set_exception(exc)
                else:
                    fut.set_result(result)
            handles.append(self._pool._submit(self._insert, (part,), done, clearMemory=True, pickleTableToList=False,
                                              priority=None, parallelism=None, disableDecimal=None, timeout=None))
            futures.append((fut, rows))
        total, failure, failed = 0, None, []
        try:
            for fut, rows in futures:   # every group finishes (or fails) before append returns
                try:
                    answer = fut.result()
                except Exception as exc:
                    failure = failure or exc
                    failed.append(rows)
                    continue
                total += 0 if answer is None else int(answer)   # the official resets the sum on a NULL answer
        except BaseException:
            # Ctrl-C: the groups still queued or running are cancelled, with their jobs on the server.
            self._pool.pool.cancel_all([handle for handle in handles if not handle.finished])
            raise
        if failure is not None:
            import numpy as np
            err = type(failure)(f"<Exception> in append: {failure}")
            err.failed_rows = np.sort(np.concatenate(failed))
            err.written = total
            log.error("PartitionedTableAppender: %d rows did not land: %s", len(err.failed_rows), failure)
            raise err from None
        return total


# ---------------------------------------------------------------------------------------------
# TableAppender / TableUpserter
# ---------------------------------------------------------------------------------------------

class _SessionWriter:
    def _learn(self, conn, db_path, table_name):
        self._conn = conn
        self._schema = _Schema(conn.run(_schema_script(db_path, table_name, spaced=True)))
        self._target = f"loadTable('{db_path}', '{table_name}')" if db_path else table_name

    def _fit(self, table, count_error):
        if self._conn.isClosed():
            raise RuntimeError("DBConnection has been closed.")
        if not (_is_frame(table) or _is_arrow_table(table)):
            raise RuntimeError("table must be a DataFrame or pyarrow.Table!")
        s = self._schema
        try:
            return _core.fit_table(table, s.names, s.types, s.scales, count_error, True)
        except _core.DolphinDBError as exc:
            raise type(exc)(f"<Exception> in append: {exc}") from None


def _is_session(conn) -> bool:
    from .session import Session
    return isinstance(conn, Session)


class TableAppender(_SessionWriter):
    """Appends DataFrames / pyarrow Tables to a table, converting columns to its types (§3.1)."""

    def __init__(self, db_path=None, table_name=None, conn=None, action="fitColumnType", *, dbPath=None,
                 tableName=None, ddbSession=None):
        db_path = _renamed("db_path", "dbPath", db_path, dbPath) or ""
        table_name = _renamed("table_name", "tableName", table_name, tableName) or ""
        conn = _renamed("conn", "ddbSession", conn, ddbSession)
        if not _is_session(conn):
            raise ValueError("conn must be a DBConnection.")
        if action != "fitColumnType":
            raise ValueError(f"Unsupported action type: {action}; only 'fitColumnType' is supported.")
        self._learn(conn, db_path, table_name)
        self._insert = f"tableInsert{{{self._target}}}"

    def append(self, table) -> int:
        fitted = self._fit(table, "The input table columns doesn't match the columns of the target table.")
        answer = self._conn.run(self._insert, fitted)
        return 0 if answer is None else int(answer)


class UpsertResult(NamedTuple):
    inserted: int
    updated: int


class TableUpserter(_SessionWriter):
    """Upserts DataFrames / pyarrow Tables into a keyed or DFS table (§3.2)."""

    def __init__(self, db_path=None, table_name=None, conn=None, ignore_null=False, key_cols=None, sort_cols=None,
                 *, dbPath=None, tableName=None, ddbSession=None, ignoreNull=None, keyColNames=None,
                 sortColumns=None):
        db_path = _renamed("db_path", "dbPath", db_path, dbPath) or ""
        table_name = _renamed("table_name", "tableName", table_name, tableName) or ""
        conn = _renamed("conn", "ddbSession", conn, ddbSession)
        ignore_null = _renamed("ignore_null", "ignoreNull", ignore_null, ignoreNull)
        key_cols = _renamed("key_cols", "keyColNames", key_cols, keyColNames) or []
        sort_cols = _renamed("sort_cols", "sortColumns", sort_cols, sortColumns) or []
        if not _is_session(conn):
            raise Exception("conn must be a dolphindb DBConnection!")
        self._learn(conn, db_path, table_name)
        options = f",ignoreNull={'true' if ignore_null else 'false'}"
        if key_cols:
            options += ",keyColNames=" + "".join(f"`{k}" for k in key_cols)
        if sort_cols:
            options += ",sortColumns=" + "".join(f"`{k}" for k in sort_cols)
        # The official lambda returns 0; this one reports how many rows were new and how many
        # replaced existing keys, from the table's size before and after.
        self._insert = (f"(def(mutable tb, data){{n=rows(tb);upsert!(tb, data{options});m=rows(tb)-n;"
                        f"return [m, rows(data)-m];}}){{{self._target}}}")

    def upsert(self, table) -> UpsertResult:
        fitted = self._fit(table, "The input table columns doesn't match the columns of the target table.")
        answer = self._conn.run(self._insert, fitted)
        return UpsertResult(int(answer[0]), int(answer[1]))


# ---------------------------------------------------------------------------------------------
# MultithreadedTableWriter
# ---------------------------------------------------------------------------------------------

class ErrorCodeInfo:
    """errorCode ('' or 'A1'..'A8') and errorInfo of a writer call."""
    __slots__ = ("errorCode", "errorInfo")

    def __init__(self, errorCode: str = "", errorInfo=None):
        self.errorCode = errorCode
        self.errorInfo = errorInfo

    def hasError(self) -> bool:
        return bool(self.errorCode)

    def succeed(self) -> bool:
        return not self.errorCode

    def __repr__(self):
        return f"errorCode: {self.errorCode or None}\n errorInfo: {self.errorInfo}\n"


class MultithreadedTableWriterThreadStatus:
    __slots__ = ("threadId", "sentRows", "unsentRows", "sendFailedRows")

    def __init__(self, threadId=0, sentRows=0, unsentRows=0, sendFailedRows=0):
        self.threadId, self.sentRows = threadId, sentRows
        self.unsentRows, self.sendFailedRows = unsentRows, sendFailedRows

    def __repr__(self):
        return f"{self.threadId}\t{self.sentRows}\t{self.unsentRows}\t{self.sendFailedRows}"


class MultithreadedTableWriterStatus(ErrorCodeInfo):
    __slots__ = ("isExiting", "sentRows", "unsentRows", "sendFailedRows", "threadStatus")

    def __repr__(self):
        lines = [f"errorCode     : {self.errorCode}", f"errorInfo     : {self.errorInfo}",
                 f"isExiting     : {self.isExiting}", f"sentRows      : {self.sentRows}",
                 f"unsentRows    : {self.unsentRows}", f"sendFailedRows: {self.sendFailedRows}",
                 "threadStatus  :", "\tthreadId\tsentRows\tunsentRows\tsendFailedRows"]
        lines += [f"\t{t!r}" for t in self.threadStatus]
        return "\n".join(lines) + "\n"


_MTW = "<Exception> in MultithreadedTableWriter: "


def _mtw_error(text: str) -> RuntimeError:
    return RuntimeError(_MTW + text)


def _bounded_run(session, ms: int):
    """session.run with a deadline of `ms` (< 0: none) for each request."""
    return lambda script: session.run(script, timeout=ms / 1000 if ms > 0 else None)


def _rows_of(frame) -> list:
    """A DataFrame's rows as lists of Python values (NULL -> None)."""
    objects = frame.astype(object)
    return objects.where(objects.notna(), None).values.tolist()


class MultithreadedTableWriter:
    """Writes rows from any number of Python threads through `threadCount` native writer
    threads, each with its own connection (BULK_WRITERS.md §4)."""

    def __init__(self, host, port, userId, password, dbPath, tableName, useSSL=False,
                 enableHighAvailability=False, highAvailabilitySites=(), batchSize=1, throttle=1.0,
                 threadCount=1, partitionCol="", compressMethods=(), mode="", modeOption=(), *,
                 reconnect=True, tryReconnectNums=-1, enableStreamTableTimestamp=False, usePublicName=False,
                 reconnectTimeout=None, sslCAFile=None, sslVerify=None, netTimeout=None, timeout=None):
        """As the official writer. Extensions: `reconnectTimeout` (seconds, default 30) bounds one
        reconnect/failover episode of a writer connection; `tryReconnectNums` None or -1 leaves
        only that bound. A batch whose connection cannot be re-established within it fails
        (errorCode A5) and its rows are returned by getUnwrittenData(). With `useSSL=True` every
        connection of the writer is TLS, verified as a Session's (`sslCAFile`, `sslVerify`).
        `netTimeout` (seconds or timedelta, default 3 s as the official client's network timeout)
        bounds each connect and handshake; `timeout` (default SETUP_TIMEOUT = 30 s) bounds each
        request the constructor sends to learn the table (schema, partitioning). The constructor
        answers Ctrl-C throughout."""
        from ._options import log_connection_event, resilience_options, tls_setting
        from .session import Session
        if not isinstance(port, int) or isinstance(port, bool):
            raise TypeError(f"port must be an int, not {type(port).__name__}")
        tls = tls_setting(useSSL, sslCAFile, sslVerify)
        if batchSize < 1:
            raise _mtw_error("The parameter batchSize must be greater than or equal to 1")
        if throttle < 0:
            raise _mtw_error("The parameter throttle must be greater than 0")
        if threadCount < 1:
            raise _mtw_error("The parameter threadCount must be greater than or equal to 1")
        if threadCount > 1 and not partitionCol:
            raise _mtw_error("The parameter partitionCol must be specified when threadCount is greater than 1")
        methods = []
        for m in compressMethods or []:
            upper = str(m).upper()
            if upper not in ("LZ4", "DELTA"):
                raise _mtw_error(f"Unsupported compression method {upper}")
            methods.append(1 if upper == "LZ4" else 2)
        mode_upper = (mode or "").upper()
        if mode_upper not in ("", "APPEND", "UPSERT"):
            raise _mtw_error(f"Unsupported mtw mode {mode_upper}")
        dbPath, tableName = dbPath or "", tableName or ""
        net_ms = timeout_ms(netTimeout if netTimeout is not None else NET_TIMEOUT, "netTimeout")
        if net_ms <= 0:   # 0: every connect still needs a bound, the default one
            net_ms = int(NET_TIMEOUT * 1000)
        setup_ms = _setup_timeout_ms(timeout)
        meta = Session(show_output=False, enableSSL=bool(useSSL), sslCAFile=sslCAFile, sslVerify=sslVerify)
        ask = _bounded_run(meta, setup_ms)
        try:
            connected = meta.connect(host, port, userId or "", password or "", netTimeout=net_ms / 1000)
        except Exception as exc:
            log.error("MultithreadedTableWriter: %s", exc)
            connected = False
        if not connected:
            raise _mtw_error(f"Failed to connect to server {host}:{port}")
        try:
            script = _schema_script(dbPath, tableName, spaced=False)
            try:
                schema = _Schema(ask(script))
            except _core.DDBTimeoutError as exc:
                raise _core.DDBTimeoutError(_MTW + _server_text(exc)) from None
            except Exception as exc:
                raise _mtw_error(_server_text(exc)) from None
            names, types, scales = list(schema.names), list(schema.types), list(schema.scales)
            timestamp_column = self._stream_timestamp_column(ask, dbPath, tableName, enableStreamTableTimestamp,
                                                             names)
            if timestamp_column is not None:
                del names[timestamp_column], types[timestamp_column], scales[timestamp_column]
        finally:
            meta.close()
        if methods and len(methods) != len(names):
            raise _mtw_error("The number of elements in parameter compressMethods does not match the column size "
                             f"{len(names)}")
        route, domain = -1, None
        if threadCount > 1:
            route, domain = self._routing(schema, dbPath, partitionCol, names, types)
        if mode_upper == "UPSERT":
            target = f'loadTable("{dbPath}","{tableName}")' if dbPath else tableName
            insert = f"upsert!{{{target}," + "".join("," + str(o) for o in (modeOption or [])) + "}"
        else:
            insert = f'tableInsert{{loadTable("{dbPath}","{tableName}")}}' if dbPath else f"tableInsert{{{tableName}}}"
        self._names = names
        self._core = _core.TableWriterCore(
            _core.ConnectOptions(host=host, port=port, user=userId or "", password=password or "", tls=tls,
                                 connectTimeoutMs=net_ms),
            resilience_options(high_availability=enableHighAvailability, sites=highAvailabilitySites,
                               reconnect=reconnect, try_reconnect_nums=tryReconnectNums,
                               reconnect_timeout=reconnectTimeout, use_public_name=usePublicName),
            log_connection_event, insert_script=insert, names=names, types=types, scales=scales, compress=methods,
            thread_count=threadCount, batch_size=batchSize, throttle_ms=int(throttle * 1000),
            route_column=route, domain=domain, log=log.error, error_info=ErrorCodeInfo)
        # The hot path goes straight to the native method: no Python frame per row.
        self.insert = self._core.insert
        _live_writers.add(self)

    @staticmethod
    def _stream_timestamp_column(ask, db_path, table_name, flag, names):
        try:
            ask('funcByName("getStreamTableTimestamp");')
        except _core.DDBTimeoutError:
            raise
        except Exception:
            return len(names) - 1 if flag and names else None
        if db_path:
            return None
        column = ask(f"getStreamTableTimestamp({table_name})")
        return names.index(column) if column and column in names else None

    @staticmethod
    def _routing(schema, db_path, column, names, types):
        if schema.partition_names:
            level = schema.level(column)
            if level is None:
                if len(schema.partition_names) > 1:
                    raise _mtw_error("The parameter partitionCol must be the partitioning columns in the "
                                     "partitioned table")
                raise _mtw_error(f"The parameter partionCol must be the partitioning column "
                                 f"'{schema.partition_names[0]}' in the partitioned table")
            return names.index(column), _domain(level)
        if db_path:
            raise _mtw_error("The parameter threadCount must be 1 for a dimension table")
        if column not in names:
            raise _mtw_error(f"No match found for {column}")
        index = names.index(column)
        if types[index] >= 64:
            raise _mtw_error("The parameter partitionCol cannot be array vector")
        return index, None

    def insert(self, *args) -> ErrorCodeInfo:   # replaced per instance by the native method
        return self._core.insert(*args)

    def insert_frame(self, frame) -> ErrorCodeInfo:
        """Extension: queues every row of a DataFrame (columns by position) in one call; the
        columns are converted once and routed to the writer threads without the GIL."""
        return self._core.insert_frame(frame)

    def insertUnwrittenData(self, unwrittenData) -> ErrorCodeInfo:
        n = len(self._names)
        for row in unwrittenData:
            if len(row) != n:
                return ErrorCodeInfo("A1", f"arg size mismatch col size {n}")
            result = self._core.insert(*row)
            if result.hasError():
                return result
        return ErrorCodeInfo()

    def getUnwrittenData(self) -> list:
        rows = []
        for frame in self._core.unwritten():
            rows.extend(_rows_of(frame))
        return rows

    def getStatus(self) -> MultithreadedTableWriterStatus:
        exiting, code, info, threads = self._core.status()
        s = MultithreadedTableWriterStatus(code, info)
        s.isExiting = exiting
        s.threadStatus = [MultithreadedTableWriterThreadStatus()]   # entry 0: the official converter
        s.threadStatus += [MultithreadedTableWriterThreadStatus(*t) for t in threads]
        s.sentRows = sum(t[1] for t in threads)
        s.unsentRows = sum(t[2] for t in threads)
        s.sendFailedRows = sum(t[3] for t in threads)
        return s

    def waitForThreadCompletion(self, timeout=None) -> None:
        """Sends what is queued, then stops the writer threads. Extension: `timeout` (seconds or
        timedelta; None waits as long as the connections' own bounds allow, e.g. reconnectTimeout).
        Past it, or on Ctrl-C, the writer stops at once (errorCode A6) and DDBTimeoutError /
        KeyboardInterrupt is raised; getUnwrittenData() returns every row that did not land (the
        batch that was in flight included: the server may have written it)."""
        self._core.wait(timeout_ms(timeout))


# ---------------------------------------------------------------------------------------------
# BatchTableWriter (deprecated upstream)
# ---------------------------------------------------------------------------------------------

class BatchTableWriter:
    """The deprecated per-table writer (§5), kept so old code runs: each added table gets one
    MultithreadedTableWriter (one connection, one thread) with batchSize 1."""

    def __init__(self, host, port, userid=None, password=None, acquireLock=True):
        warnings.warn("The class 'BatchTableWriter' is deprecated. Please use 'MultithreadedTableWriter' "
                      "instead.", DeprecationWarning, stacklevel=2)
        self._host, self._port = host, port
        self._user, self._password = userid or "", password or ""
        self._writers = {}
        self._failed = {}

    def addTable(self, dbPath=None, tableName=None, partitioned=True):
        key = (dbPath or "", tableName or "")
        if key in self._writers:
            raise RuntimeError("<Exception> in addTable: Failed to add table, the specified table has not been "
                               "removed yet.")
        self._writers[key] = MultithreadedTableWriter(self._host, self._port, self._user, self._password, key[0],
                                                      key[1], batchSize=1, throttle=0.1)

    def _writer(self, dbPath, tableName, where):
        writer = self._writers.get((dbPath or "", tableName or ""))
        if writer is None:
            raise RuntimeError(f"<Exception> in {where}: Failed to insert into table, please use addTable to add "
                               "infomation of database and table first.")
        return writer

    def insert(self, dbPath, tableName, *args):
        writer = self._writer(dbPath, tableName, "insert")
        if len(args) != len(writer._names):
            raise RuntimeError("<Exception> in insert: Failed to insert into table, number of arguments must match "
                               "the number of columns of table.")
        status = writer.getStatus()
        if status.hasError():
            raise RuntimeError("<Exception> in insert: Failed to insert data. Error writing data in backgroud thread. "
                               f"{status.errorInfo}")
        result = writer._core.insert(*args)
        if result.hasError():
            raise RuntimeError(f"<Exception> in insert: {result.errorInfo}")

    def getStatus(self, dbPath, tableName=""):
        s = self._writer(dbPath, tableName, "getStatus").getStatus()
        return [s.unsentRows, False, s.isExiting]

    def getAllStatus(self):
        import pandas as pd
        rows = []
        for (db, table), writer in self._writers.items():
            s = writer.getStatus()
            rows.append([db, table, s.unsentRows, s.sentRows, False, s.isExiting])
        return pd.DataFrame(rows, columns=["DatabaseName", "TableName", "WriteQueueDepth", "SendedRows", "Removing",
                                           "Finished"])

    def getUnwrittenData(self, dbPath, tableName=""):
        import pandas as pd
        writer = self._writer(dbPath, tableName, "getUnwrittenData")
        return pd.DataFrame(writer.getUnwrittenData(), columns=writer._names)

    def removeTable(self, dbPath, tableName=""):
        writer = self._writers.pop((dbPath or "", tableName or ""), None)
        if writer is not None:
            writer.waitForThreadCompletion()


tableAppender = TableAppender
AutoFitTableAppender = TableAppender
tableUpsert = TableUpserter
AutoFitTableUpserter = TableUpserter
