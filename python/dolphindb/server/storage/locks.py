"""Chunk locks of write transactions.

A write opens every chunk (database, table, partition) it touches under one transaction id.
With atomic='TRANS' a chunk held by another transaction fails the write at once, with the real
server's <ChunkInTransaction> text; with atomic='CHUNK' the write waits until the chunks are free
(bounded, cancellable), so concurrent writers to one partition are serialized."""
from __future__ import annotations

import itertools
import threading
import time
from typing import Callable, Dict, Iterable, Optional, Tuple

from ..errors import ChunkInTransaction

ChunkKey = Tuple[str, str, int]






CHUNK_WAIT_SECONDS = 120.0


class LockTable:
    def __init__(self):
        self._owners: Dict[ChunkKey, int] = {}
        self._cond = threading.Condition()
        self._ids = itertools.count(1000)

    def new_tid(self) -> int:
        return next(self._ids)

    def acquire(self, keys: Iterable[ChunkKey], tid: int, wait: bool, describe: Callable[[ChunkKey], str],
                cancelled: Optional[Callable[[], None]] = None) -> None:
        keys = list(keys)
        deadline = time.monotonic() + CHUNK_WAIT_SECONDS
        with self._cond:
            while True:
                busy = next((k for k in keys if self._owners.get(k, tid) != tid), None)
                if busy is None:
                    for k in keys:
                        self._owners[k] = tid
                    return
                if not wait or time.monotonic() >= deadline:
                    raise ChunkInTransaction(
                        f"<ChunkInTransaction>The openChunks operation failed because the chunk '{describe(busy)}' "
                        f"is currently locked and in use by transaction {self._owners[busy]}. RefId:S00002")
                self._cond.wait(0.05)
                if cancelled is not None:
                    cancelled()

    def release(self, tid: int) -> None:
        with self._cond:
            for k in [k for k, owner in self._owners.items() if owner == tid]:
                del self._owners[k]
            self._cond.notify_all()
