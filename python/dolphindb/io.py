"""dumps/loads of single DolphinDB objects (flag word + body), through the C++ codec.

Same signatures as the official ``dolphindb.io``; ``dumps`` is byte-identical to it for every
object it accepts (BLOBs keep their NUL bytes: the official client truncates them), and
``loads`` returns the same Python objects. Decoding runs with the GIL released.

``types`` (dumps/dump), as the official: a DT code (``settings.DT_INT``), ``[DT, scale]`` for
DECIMALs, or a type name (``"INT"``, ``"DECIMAL64(2)"``, ``"INT[]"``) forcing the type of a
scalar, list, array or Series; for a DataFrame a dict of column -> one of those (merged over
the frame's own ``__DolphinDB_Type__``).
"""
from __future__ import annotations

from typing import IO, Any

from ._core import dumps as _dumps
from ._core import loads as _loads

__all__ = ["dump", "load", "dumps", "loads"]


def dumps(obj: Any, *, types: Any = None) -> bytes:
    """Serializes ``obj`` as one DolphinDB object."""
    return _dumps(obj, types=types)


def loads(data: bytes) -> Any:
    """Deserializes one DolphinDB object (any bytes-like object)."""
    return _loads(data)


def dump(obj: Any, file: IO[bytes], *, types: Any = None) -> None:
    """Writes ``dumps(obj, types=types)`` to a binary file."""
    file.write(_dumps(obj, types=types))


def load(file: IO[bytes]) -> Any:
    """Reads one object from the rest of a binary file."""
    return _loads(file.read())
