"""A fast drop-in replacement for the connection layer of the DolphinDB Python API.

``import dolphindb as ddb`` gives ``ddb.Session``, ``ddb.DBConnectionPool``, ``ddb.settings``
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
    "utils": ("dolphindb.utils", None),
    "BlockReader": ("dolphindb.session", "BlockReader"),
    "DBConnection": ("dolphindb.connection", "DBConnection"),
    "ConnectionSetting": ("dolphindb.config", "ConnectionSetting"),
    "ConnectionConfig": ("dolphindb.config", "ConnectionConfig"),
}


def __getattr__(name):
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'dolphindb' has no attribute {name!r}")
    module = importlib.import_module(target[0])
    value = module if target[1] is None else getattr(module, target[1])
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
