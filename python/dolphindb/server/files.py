"""Crash-safe file replacement shared by the server's stores (shared tables, the DFS catalog,
manifests and partition files): write a temporary file, fsync it, rename it over the target,
fsync the directory. A crash at any point leaves the old file or the new one, never a torn one."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, IO


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes = b"", writer: Callable[[IO[bytes]], None] = None,
                 sync_dir: bool = True) -> None:
    """Replaces `path` by `data` (or by what `writer(file)` writes)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            if writer is not None:
                writer(f)
            else:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:    # ENOSPC, EFBIG, EIO ...: the previous file stays, no leftover
        tmp.unlink(missing_ok=True)
        raise
    if sync_dir:
        fsync_dir(path.parent)
