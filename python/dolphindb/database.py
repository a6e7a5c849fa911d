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
        options = _options(("sortColumns", "compressMethods", "primaryKey", "keepDuplicates", "softDelete", "indexes"),
                           locals())
        return self._create(table, "createTable", symbol(tableName) + options)

    createTable = createDimensionTable

    def createPartitionedTable(self, table: Table, tableName: str, partitionColumns: Names,
                               compressMethods: Optional[Dict[str, str]] = None, sortColumns: Optional[Names] = None,
                               keepDuplicates: Optional[str] = None,
                               sortKeyMappingFunction: Optional[Union[str, List[str]]] = None, *,
                               primaryKey: Optional[Names] = None, softDelete: Optional[bool] = None,
                               indexes: Optional[Dict[str, Names]] = None) -> Table:
        if not isinstance(partitionColumns, (str, list)):
            raise RuntimeError("Only String or List of String is accepted for partitionColumns")
        options = _options(("compressMethods", "sortColumns", "keepDuplicates", "sortKeyMappingFunction", "primaryKey",
                            "softDelete", "indexes"), locals())
        return self._create(table, "createPartitionedTable",
                            symbol(tableName) + "," + _name_list(partitionColumns, "partitionColumns") + options)


def _mapping_functions(value) -> str:
    functions = [value] if isinstance(value, str) else value
    if not isinstance(functions, list) or not all(isinstance(f, str) for f in functions):
        raise RuntimeError('The "sortKeyMappingFunction" parameter must be a string or a list of strings.')
    return ",sortKeyMappingFunction=[" + ",".join(functions) + "]"


# keyword -> its text after the table arguments (the official client's spelling of each).
_OPTION_TEXT = {
    "sortColumns": lambda v: ",sortColumns=" + _name_list(v, "sortColumns"),
    "compressMethods": _compress_methods,
    "primaryKey": lambda v: ",primaryKey=" + _name_list(v, "primaryKey"),
    "keepDuplicates": _keep_duplicates,
    "softDelete": lambda v: _bool_option("softDelete", v),
    "indexes": _indexes,
    "sortKeyMappingFunction": _mapping_functions,
}


def _options(order, given) -> str:
    """The keyword arguments that were given, in the official client's order for the method
    (an empty compressMethods dict counts as not given)."""
    return "".join(_OPTION_TEXT[name](given[name]) for name in order
                   if given[name] is not None and (name != "compressMethods" or given[name]))
