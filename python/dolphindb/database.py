"""`Database` objects returned by `Session.database(...)`: a session variable holding a database
handle, and the table-creating methods of the official client with its script text."""
from __future__ import annotations

from typing import Dict, List, Optional, Union

from ._script import identifier, is_identifier, string_literal, symbol, symbols, temp_table_name
from .table import Table

Names = Union[str, List[str]]


def _name_list(value, what: str) -> str:
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return symbols(value)
    raise TypeError(f'The "{what}" parameter must be a str or a list of str.')


def _compress_methods(methods: Dict[str, str]) -> str:
    items = []
    for column, method in methods.items():
        key = column if is_identifier(column) else string_literal(column)
        items.append(f"{key}:{string_literal(method, quote=chr(39))}")
    return ",compressMethods={" + ",".join(items) + "}"


def _indexes(indexes: Dict[str, Names]) -> str:
    if not isinstance(indexes, dict):
        raise TypeError('The "indexes" parameter must be a dict with str as keys, and str or list of str as values')
    return ",indexes={" + ",".join(f"{symbol(k)}:{_name_list(v, 'indexes')}" for k, v in indexes.items()) + "}"


def _keep_duplicates(value) -> str:
    if not isinstance(value, str) or value.upper() not in ("ALL", "LAST", "FIRST"):
        raise RuntimeError("keepDuplicates must be one of 'ALL', 'LAST', 'FIRST'")
    return ",keepDuplicates=" + value


def _bool_option(name: str, value) -> str:
    if not isinstance(value, bool):
        raise TypeError(f'The "{name}" parameter must be a bool.')
    return f",{name}={str(value).lower()}"


class Database:
    """A database handle held by the session variable `dbName` (user-chosen or `TMP_DB_…DB`)."""

    def __init__(self, dbName: str, s):
        self._name = identifier(dbName, "database handle")
        self._session = s

    def _getDbName(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"Database({self._name!r})"

    def _create(self, table: Table, method: str, arguments: str) -> Table:
        if not isinstance(table, Table):
            raise RuntimeError("Only DolphinDB Table object is accepted")
        handle = temp_table_name()
        self._session.run(f"{handle}={self._name}.{method}({table.tableName()},{arguments});")
        # The official client never frees this handle (it loads it like a user's table); ours does.
        return Table(data=handle, s=self._session, isMaterialized=True)

    def createDimensionTable(self, table: Table, tableName: str, sortColumns: Optional[Names] = None, *,
                             compressMethods: Optional[Dict[str, str]] = None, primaryKey: Optional[Names] = None,
                             keepDuplicates: Optional[str] = None, softDelete: Optional[bool] = None,
                             indexes: Optional[Dict[str, Names]] = None) -> Table:
        arguments = symbol(tableName)
        if sortColumns is not None:
            arguments += ",sortColumns=" + _name_list(sortColumns, "sortColumns")
        if compressMethods:
            arguments += _compress_methods(compressMethods)
        if primaryKey is not None:
            arguments += ",primaryKey=" + _name_list(primaryKey, "primaryKey")
        if keepDuplicates is not None:
            arguments += _keep_duplicates(keepDuplicates)
        if softDelete is not None:
            arguments += _bool_option("softDelete", softDelete)
        if indexes is not None:
            arguments += _indexes(indexes)
        return self._create(table, "createTable", arguments)

    createTable = createDimensionTable

    def createPartitionedTable(self, table: Table, tableName: str, partitionColumns: Names,
                               compressMethods: Optional[Dict[str, str]] = None, sortColumns: Optional[Names] = None,
                               keepDuplicates: Optional[str] = None,
                               sortKeyMappingFunction: Optional[Union[str, List[str]]] = None, *,
                               primaryKey: Optional[Names] = None, softDelete: Optional[bool] = None,
                               indexes: Optional[Dict[str, Names]] = None) -> Table:
        if not isinstance(partitionColumns, (str, list)):
            raise RuntimeError("Only String or List of String is accepted for partitionColumns")
        arguments = symbol(tableName) + "," + _name_list(partitionColumns, "partitionColumns")
        if compressMethods:
            arguments += _compress_methods(compressMethods)
        if sortColumns is not None:
            arguments += ",sortColumns=" + _name_list(sortColumns, "sortColumns")
        if keepDuplicates is not None:
            arguments += _keep_duplicates(keepDuplicates)
        if sortKeyMappingFunction is not None:
            functions = [sortKeyMappingFunction] if isinstance(sortKeyMappingFunction, str) else sortKeyMappingFunction
            if not isinstance(functions, list) or not all(isinstance(f, str) for f in functions):
                raise RuntimeError('The "sortKeyMappingFunction" parameter must be a string or a list of strings.')
            arguments += ",sortKeyMappingFunction=[" + ",".join(functions) + "]"
        if primaryKey is not None:
            arguments += ",primaryKey=" + _name_list(primaryKey, "primaryKey")
        if softDelete is not None:
            arguments += _bool_option("softDelete", softDelete)
        if indexes is not None:
            arguments += _indexes(indexes)
        return self._create(table, "createPartitionedTable", arguments)
