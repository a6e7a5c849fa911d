"""A fast drop-in replacement for the connection layer of the DolphinDB Python API.

``import dolphindb as ddb`` gives ``ddb.Session``, ``ddb.DBConnectionPool``,
``ddb.SimpleDBConnectionPool``, ``ddb.Table``, ``ddb.Database``, ``ddb.settings``, ``ddb.utils``
and ``ddb.io`` with the official package's names. The client names load the C++ extension
(``dolphindb._core``) on first use; ``dolphindb.server`` is pure Python and never loads it, so
the embedded server stays an independent implementation of the protocol.
"""
from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.1.0"

_LAZY = {
    "Session": ("dolphindb.session", "Session"),
    "session": ("dolphindb.session", "Session"),
    "DBConnectionPool": ("dolphindb.pool", "DBConnectionPool"),
    "settings": ("dolphindb.settings", None),
    "io": ("dolphindb.io", None),
    "exceptions": ("dolphindb.exceptions", None),
    "logger": ("dolphindb.logger", None),
    "config": ("dolphindb.config", None),
    "BlockReader": ("dolphindb.session", "BlockReader"),
    "DBConnection": ("dolphindb.connection", "DBConnection"),
    "ConnectionSetting": ("dolphindb.config", "ConnectionSetting"),
    "ConnectionConfig": ("dolphindb.config", "ConnectionConfig"),
    "utils": ("dolphindb.utils", None),
    "SimpleDBConnectionPool": ("dolphindb.simple_pool", "SimpleDBConnectionPool"),
    "SimpleDBConnectionPoolConfig": ("dolphindb.simple_pool", "SimpleDBConnectionPoolConfig"),
    "PoolEntry": ("dolphindb.simple_pool", "PoolEntry"),
    "Database": ("dolphindb.database", "Database"),
    **{name: ("dolphindb.table", name) for name in
       ("Table", "TableUpdate", "TableDelete", "TableGroupby", "TablePivotBy", "TableContextby")},
    # The aggregate shortcuts: t.groupby("sym").agg([ddb.sum, ddb.avg]).
    **{name: ("dolphindb.table", "AGGREGATES", name) for name in
       ("wavg", "wsum", "covar", "corr", "count", "max", "min", "sum", "sum2", "size", "avg", "std", "prod",
        "var", "first", "last", "eachPre", "cumsum", "cumprod", "cummax", "cummin")},
    "PartitionedTableAppender": ("dolphindb.writers", "PartitionedTableAppender"),
    "TableAppender": ("dolphindb.writers", "TableAppender"),
    "TableUpserter": ("dolphindb.writers", "TableUpserter"),
    "tableAppender": ("dolphindb.writers", "tableAppender"),
    "tableUpsert": ("dolphindb.writers", "tableUpsert"),
    "AutoFitTableAppender": ("dolphindb.writers", "AutoFitTableAppender"),
    "AutoFitTableUpserter": ("dolphindb.writers", "AutoFitTableUpserter"),
    "MultithreadedTableWriter": ("dolphindb.writers", "MultithreadedTableWriter"),
    "BatchTableWriter": ("dolphindb.writers", "BatchTableWriter"),
    "ErrorCodeInfo": ("dolphindb.writers", "ErrorCodeInfo"),
    "MultithreadedTableWriterStatus": ("dolphindb.writers", "MultithreadedTableWriterStatus"),
    "MultithreadedTableWriterThreadStatus": ("dolphindb.writers", "MultithreadedTableWriterThreadStatus"),
}


def __getattr__(name):
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'dolphindb' has no attribute {name!r}")
    module = importlib.import_module(target[0])
    value = module if target[1] is None else getattr(module, target[1])
    if len(target) > 2:
        value = value[target[2]]
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """Importing the submodule `dolphindb.session` (ours or a user's `import dolphindb.session`)
    binds it to the package attribute `session`; the official package keeps the Session class
    under that name, so the class replaces the module there."""

    def __setattr__(self, name, value):
        if name == "session" and isinstance(value, types.ModuleType):
            value = value.Session
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
