"""Shared tables on disk (--data-dir): one zstd-compressed serialized table per file, written
atomically (temp file, fsync, rename) so a crash never leaves a torn table behind."""
from __future__ import annotations

import re
from pathlib import Path

import zstandard

from ..wire import codec
from ..files import atomic_write

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
        atomic_write(self._path(name), zstandard.ZstdCompressor(level=3).compress(codec.encode(table)))

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
