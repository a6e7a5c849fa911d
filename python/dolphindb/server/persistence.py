"""Shared tables on disk (--data-dir): one zstd-compressed serialized table per file, written
atomically (temp file, fsync, rename) so a crash never leaves a torn table behind."""
from __future__ import annotations

import re
from pathlib import Path

import zstandard

from . import codec
from .files import atomic_write

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

    def load_all(self) -> dict:
        tables = {}
        for path in sorted(self.dir.glob("*" + SUFFIX)):
            name = path.name[:-len(SUFFIX)]
            raw = zstandard.ZstdDecompressor().decompress(path.read_bytes(), max_output_size=1 << 34)
            tables[name] = codec.decode_bytes(raw)
        return tables
