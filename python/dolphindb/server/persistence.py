"""Shared tables on disk (--data-dir): one zstd-compressed serialized table per file, written
atomically (temp file, fsync, rename) so a crash never leaves a torn table behind."""
from __future__ import annotations

import os
import re
from pathlib import Path

import zstandard

from . import codec

SUFFIX = ".ddbt.zst"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TableStore:
    def __init__(self, directory):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a valid table name")
        return self.dir / (name + SUFFIX)

    def save(self, name: str, table) -> None:
        data = zstandard.ZstdCompressor(level=3).compress(codec.encode(table))
        path = self._path(name)
        tmp = path.with_suffix(path.suffix + ".tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:    # ENOSPC, EFBIG, EIO ...: the previous file stays, no leftover
            tmp.unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def remove(self, name: str) -> None:
        try:
            self._path(name).unlink()
        except FileNotFoundError:
            pass

    def load(self, name: str):
        """The table as last saved, or None."""
        try:
            raw = self._path(name).read_bytes()
        except FileNotFoundError:
            return None
        return codec.decode_bytes(zstandard.ZstdDecompressor().decompress(raw, max_output_size=1 << 34))

    def load_all(self) -> dict:
        for leftover in self.dir.glob("*" + SUFFIX + ".tmp"):   # a save cut short by a crash
            leftover.unlink(missing_ok=True)
        return {path.name[:-len(SUFFIX)]: self.load(path.name[:-len(SUFFIX)])
                for path in sorted(self.dir.glob("*" + SUFFIX))}
