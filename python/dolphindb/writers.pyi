from datetime import timedelta
from typing import Any, NamedTuple, Optional, Union

import pandas as pd

from .pool import DBConnectionPool
from .session import Session

class PartitionedTableAppender:
    def __init__(self, db_path: Optional[str] = None, table_name: Optional[str] = None,
                 partition_col: Optional[str] = None, pool: Optional[DBConnectionPool] = None, *,
                 dbPath: Optional[str] = None, tableName: Optional[str] = None,
                 partitionColName: Optional[str] = None, dbConnectionPool: Optional[DBConnectionPool] = None,
                 timeout: Union[float, timedelta, None] = None) -> None: ...
    def append(self, table: Any) -> int: ...

class TableAppender:
    def __init__(self, db_path: Optional[str] = None, table_name: Optional[str] = None,
                 conn: Optional[Session] = None, action: str = "fitColumnType", *, dbPath: Optional[str] = None,
                 tableName: Optional[str] = None, ddbSession: Optional[Session] = None) -> None: ...
    def append(self, table: Any) -> int: ...

class UpsertResult(NamedTuple):
    inserted: int
    updated: int

class TableUpserter:
    def __init__(self, db_path: Optional[str] = None, table_name: Optional[str] = None,
                 conn: Optional[Session] = None, ignore_null: bool = False, key_cols: Optional[list[str]] = None,
                 sort_cols: Optional[list[str]] = None, *, dbPath: Optional[str] = None,
                 tableName: Optional[str] = None, ddbSession: Optional[Session] = None,
                 ignoreNull: Optional[bool] = None, keyColNames: Optional[list[str]] = None,
                 sortColumns: Optional[list[str]] = None) -> None: ...
    def upsert(self, table: Any) -> UpsertResult: ...

tableAppender = TableAppender
AutoFitTableAppender = TableAppender
tableUpsert = TableUpserter
AutoFitTableUpserter = TableUpserter

class ErrorCodeInfo:
    errorCode: str
    errorInfo: Any
    def __init__(self, errorCode: str = "", errorInfo: Any = None) -> None: ...
    def hasError(self) -> bool: ...
    def succeed(self) -> bool: ...

class MultithreadedTableWriterThreadStatus:
    threadId: int
    sentRows: int
    unsentRows: int
    sendFailedRows: int

class MultithreadedTableWriterStatus(ErrorCodeInfo):
    isExiting: bool
    sentRows: int
    unsentRows: int
    sendFailedRows: int
    threadStatus: list[MultithreadedTableWriterThreadStatus]

class MultithreadedTableWriter:
    def __init__(self, host: str, port: int, userId: str, password: str, dbPath: str, tableName: str,
                 useSSL: bool = False, enableHighAvailability: bool = False, highAvailabilitySites: list[str] = ...,
                 batchSize: int = 1, throttle: float = 1.0, threadCount: int = 1, partitionCol: str = "",
                 compressMethods: list[str] = ..., mode: str = "", modeOption: list[str] = ..., *,
                 reconnect: bool = True, tryReconnectNums: Optional[int] = -1,
                 enableStreamTableTimestamp: bool = False, usePublicName: bool = False,
                 reconnectTimeout: Optional[float] = None, sslCAFile: Optional[str] = None,
                 sslVerify: Optional[bool] = None, netTimeout: Union[float, timedelta, None] = None,
                 timeout: Union[float, timedelta, None] = None) -> None: ...
    def insert(self, *args: Any) -> ErrorCodeInfo: ...
    def insert_frame(self, frame: pd.DataFrame) -> ErrorCodeInfo: ...
    def insertUnwrittenData(self, unwrittenData: list[list[Any]]) -> ErrorCodeInfo: ...
    def getUnwrittenData(self) -> list[list[Any]]: ...
    def getStatus(self) -> MultithreadedTableWriterStatus: ...
    def waitForThreadCompletion(self, timeout: Union[float, timedelta, None] = None) -> None: ...

class BatchTableWriter:
    def __init__(self, host: str, port: int, userid: Optional[str] = None, password: Optional[str] = None,
                 acquireLock: bool = True) -> None: ...
    def addTable(self, dbPath: Optional[str] = None, tableName: Optional[str] = None, partitioned: bool = True) -> None: ...
    def insert(self, dbPath: str, tableName: str, *args: Any) -> None: ...
    def getStatus(self, dbPath: str, tableName: str = "") -> list[Any]: ...
    def getAllStatus(self) -> pd.DataFrame: ...
    def getUnwrittenData(self, dbPath: str, tableName: str = "") -> pd.DataFrame: ...
    def removeTable(self, dbPath: str, tableName: str = "") -> None: ...
