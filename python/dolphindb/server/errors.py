"""Every error the embedded server raises, and the official message texts it answers with.

A leaf: it imports nothing of the server, so every layer can raise and catch these.
The str() of each error is what the real server puts in the reply's status line.
"""
from __future__ import annotations


class ScriptError(Exception):
    """An error the server reports in the response status line (its str is the line)."""


class CancelledJob(Exception):
    """Raised inside a running job once ``cancelConsoleJob`` cancelled it."""


class CodecError(ValueError):
    """Malformed or unsupported serialized data (or a value that cannot be serialized)."""


class ProtocolViolation(Exception):
    """The peer sent something that is not a request; the connection is closed."""


class AccessDenied(Exception):
    """A privilege check failed; its text is the status line."""


class StorageError(Exception):
    """A storage failure; str() is the text the server reports."""


class ChunkInTransaction(StorageError):
    """A chunk another transaction holds stayed locked past the wait."""


class NotHashable(ValueError):
    """hashBucket of a type that has no hash."""


class PartitionError(ValueError):
    """A write whose rows do not fit the scheme; str() is the server's error text."""


# ---- the official texts ----------------------------------------------------------------------
BAD_LOGIN = "The user name or password is incorrect."
INVALID_SESSION = "Invalid session id. Please reconnect."
CANCELLED = "The task was cancelled."
NULL_VALUE_TEXT = "The column used for value-partitioning cannot contain NULL values. RefId: S01001"
OUT_OF_SCHEME_TEXT = ("Some of the data being written is not defined in the partitioning scheme of the target "
                      "database. RefId:S01016")
