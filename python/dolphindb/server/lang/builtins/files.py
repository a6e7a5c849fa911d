"""File handles: file, close, readBytes, writeBytes, seek (HEAD / CURRENT / TAIL), readObject and
writeObject (an object in the DolphinDB serialization, the bytes the wire carries).

Files live in the node's sandbox directory (``Host.file_sandbox``): a relative name resolves
there; an absolute path, or one that leaves the sandbox (``..``, a symbolic link), is refused. A
handle belongs to the session that opened it: the session closes its handles when it ends, and
holds at most ``MAX_OPEN_FILES`` at a time. As on the real server, only a logged-in user may open
files."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ...errors import ScriptError
from ...model.columns import S, is_scalar, to_int, to_str
from ...model.values import CHAR, HANDLE, INT, SCALAR, STRING, SYMBOL, Scalar, Value, Vector
from ..registry import builtin, constant

MAX_OPEN_FILES = 64
# the real server's whence values for seek
HEAD, CURRENT, TAIL = 0, 1, 2
_MODES = {"r": "rb", "r+": "r+b", "w": "wb", "w+": "w+b", "a": "ab", "a+": "a+b"}

for _name, _whence in (("HEAD", HEAD), ("CURRENT", CURRENT), ("TAIL", TAIL)):
    builtin(_name, 0)(constant(S(INT, _whence)))


@dataclass(eq=False)
class FileHandle(Value):
    """An open file of a session (a HANDLE scalar of the language)."""
    name: str
    stream: BinaryIO
    form: int = field(default=SCALAR, init=False)
    type: int = field(default=HANDLE, init=False)

    def __len__(self) -> int:
        return 1

    def close(self) -> None:
        self.stream.close()

    def open_stream(self) -> BinaryIO:
        if self.stream.closed:
            raise ScriptError(f"The file [{self.name}] is closed")
        return self.stream


def _sandbox_path(ctx, name: str) -> Path:
    if ctx.server is None:
        raise ScriptError("Files need a server: this interpreter has no file sandbox")
    if not name:
        raise ScriptError("The file name must not be empty")
    sandbox = Path(ctx.server.file_sandbox()).resolve()
    if os.path.isabs(name):
        raise ScriptError(f"The file [{name}] is outside the server's file directory: "
                          "use a name relative to it")
    path = (sandbox / name).resolve()
    if path != sandbox and sandbox not in path.parents:
        raise ScriptError(f"The file [{name}] is outside the server's file directory")
    return path


def _handle(x) -> FileHandle:
    if not isinstance(x, FileHandle):
        raise ScriptError("The argument must be a file handle")
    return x


def open_file(ctx, name: str, mode: str) -> FileHandle:
    if ctx.user == "guest":
        raise ScriptError("Login is required to open a file")
    python_mode = _MODES.get(mode)
    if python_mode is None:
        raise ScriptError(f"Invalid file mode [{mode}]: expected r, r+, w, w+, a or a+")
    if len(ctx.files) >= MAX_OPEN_FILES:
        raise ScriptError(f"The session already holds {MAX_OPEN_FILES} open files: close some first")
    path = _sandbox_path(ctx, name)
    try:
        stream = open(path, python_mode)
    except OSError as e:
        raise ScriptError(f"Failed to open the file [{name}]: {e.strerror}") from None
    handle = FileHandle(name, stream)
    ctx.files.append(handle)
    return handle


@builtin("file", 1, 3)
def file_(ctx, name, mode=None, isLittleEndian=None):
    if not (is_scalar(name) and name.type in (STRING, SYMBOL)):
        raise ScriptError("The argument 'name' of file must be a string")
    return open_file(ctx, to_str(name), "r" if mode is None else to_str(mode))


@builtin("close", 1)
def close(ctx, handle):
    h = _handle(handle)
    h.close()
    if h in ctx.files:
        ctx.files.remove(h)
    return None


def _io(name, operation):
    try:
        return operation()
    except OSError as e:
        raise ScriptError(f"IO error on the file [{name}]: {e.strerror or e}") from None
    except ValueError:          # closed by the end of its session while a job still ran
        raise ScriptError(f"The file [{name}] is closed") from None


@builtin("writeBytes", 2)
def write_bytes(ctx, handle, data):
    h = _handle(handle)
    if data.type != CHAR or not isinstance(data, (Scalar, Vector)):
        raise ScriptError("The argument 'bytes' of writeBytes must be a CHAR scalar or vector")
    raw = np.atleast_1d(np.asarray(data.value if is_scalar(data) else data.data, dtype=np.int8)).tobytes()
    stream = h.open_stream()
    _io(h.name, lambda: stream.write(raw))
    return S(INT, len(raw))


@builtin("readBytes", 2)
def read_bytes(ctx, handle, size):
    h = _handle(handle)
    n = to_int(size)
    if n < 0:
        raise ScriptError("The argument 'sizeInByte' of readBytes must be non-negative")
    stream = h.open_stream()
    raw = _io(h.name, lambda: stream.read(n))
    if n and not raw:
        raise ScriptError(f"End of the file [{h.name}] reached")
    return Vector(CHAR, np.frombuffer(raw, dtype=np.int8).copy())


@builtin("seek", 2, 3)
def seek(ctx, handle, offset, mode=None):
    h = _handle(handle)
    whence = CURRENT if mode is None else to_int(mode)
    if whence not in (HEAD, CURRENT, TAIL):
        raise ScriptError("The argument 'mode' of seek must be HEAD, CURRENT or TAIL")
    stream = h.open_stream()
    base = {HEAD: lambda: 0, CURRENT: stream.tell, TAIL: lambda: stream.seek(0, os.SEEK_END)}[whence]
    target = to_int(offset) + _io(h.name, base)
    if target < 0:
        raise ScriptError("seek would move before the start of the file")
    return S(INT, _io(h.name, lambda: stream.seek(target, os.SEEK_SET)))


@builtin("writeObject", 2)
def write_object(ctx, handle, obj):
    h = _handle(handle)
    if ctx.server is None:
        raise ScriptError("writeObject needs a server")
    raw = ctx.server.serialize(obj)
    stream = h.open_stream()
    _io(h.name, lambda: stream.write(raw))
    return None


@builtin("readObject", 1)
def read_object(ctx, source):
    """readObject(handle) reads the object at the handle's position; readObject(name) opens the
    file, reads its first object and closes it."""
    if isinstance(source, FileHandle):
        return _read_object(ctx, source)
    if is_scalar(source) and source.type in (STRING, SYMBOL):
        h = open_file(ctx, to_str(source), "r")
        try:
            return _read_object(ctx, h)
        finally:
            close(ctx, h)
    raise ScriptError("The argument of readObject must be a file handle or a file name")


def _read_object(ctx, h: FileHandle):
    stream = h.open_stream()
    start = _io(h.name, stream.tell)
    raw = _io(h.name, stream.read)
    if not raw:
        raise ScriptError(f"End of the file [{h.name}] reached")
    value, used = ctx.server.deserialize(raw)
    _io(h.name, lambda: stream.seek(start + used, os.SEEK_SET))
    return value
