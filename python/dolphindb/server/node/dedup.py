"""Exactly-once execution of resent requests (PROTOCOL.md §2.2.4).

An HA or reconnecting client tags each script/function request with its clientId and a sequence
number; after a failover it resends the same request with the number negated. The log is keyed
by (clientId, |seqNo|) and shared by every node of a cluster: the first request with a key runs
the job, any later one with the same key (the resend, on whichever node) gets the recorded outcome
or waits for the running job instead of running it again. A key whose first run was abandoned by
a server shutdown is released, so its resend runs.

Memory stays bounded three ways: a client sends its requests one after another, so a new
positive sequence number retires that client's finished entries with smaller numbers; finished
entries expire `ttl` seconds after they finished (a resend comes within seconds of a failover);
and beyond `max_entries` entries or `max_bytes` of kept results the oldest finished ones go.
An entry pushed out by the byte budget keeps its key but not its value: its resend gets an
error instead of running the job a second time.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, Optional, Set, Tuple

from ..model.sizes import value_nbytes

Key = Tuple[str, int]

WAIT_SLICE = 0.1  # seconds between cancellation checks while waiting for the first run


@dataclass
class Outcome:
    """What a job produced: a value (None = void) or the error text of the status line."""
    value: Any = None
    error: Optional[str] = None
    cancelled: bool = False


DROPPED = ("The result of this request is no longer kept for a resend (the server's exactly-once "
           "log was over its byte budget); the request ran once and is not run again.")


class _Entry:
    __slots__ = ("done", "outcome", "abandoned", "nbytes", "finished_at")

    def __init__(self):
        self.done = threading.Event()
        self.outcome: Optional[Outcome] = None
        self.abandoned = False
        self.nbytes = 0
        self.finished_at = 0.0


def request_key(req) -> Optional[Key]:
    """The dedup key of a request, or None when it carries no clientId/seqNo (§2.2.4: only
    script and function requests are tagged)."""
    if req.client_id and req.seq_no and req.body_kind in ("script", "function"):
        return (req.client_id, abs(req.seq_no))
    return None


class RequestLog:
    def __init__(self, max_entries: int = 10_000, max_bytes: int = 256 << 20, ttl: float = 300.0):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: "OrderedDict[Key, _Entry]" = OrderedDict()
        self._finished: "OrderedDict[Key, _Entry]" = OrderedDict()   # in the order they finished
        self._by_client: Dict[str, Set[int]] = {}
        self._bytes = 0                                              # results kept by _finished

    @property
    def kept_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def run_once(self, key: Key, run, cancel_check, shutting_down) -> Outcome:
        """Runs `run()` (-> Outcome) unless another request with `key` ran or runs it; then
        returns that outcome. `cancel_check()` raises while waiting if the waiter is cancelled;
        `shutting_down()` tells whether a cancelled run was abandoned by a server stop."""
        while True:
            entry, owner = self._claim(key)
            if owner:
                outcome = run()
                if outcome.cancelled and shutting_down():
                    self._abandon(key, entry)
                else:
                    self._finish(key, entry, outcome)
                return outcome
            while not entry.done.wait(WAIT_SLICE):
                cancel_check()
            if not entry.abandoned:
                return entry.outcome

    def _claim(self, key: Key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                return entry, False
            entry = self._entries[key] = _Entry()
            client, seq = key
            seqs = self._by_client.setdefault(client, set())
            for old in [s for s in seqs if s < seq]:
                e = self._entries.get((client, old))
                if e is None or e.done.is_set():
                    self._forget((client, old))
            self._by_client.setdefault(client, set()).add(seq)
            self._evict()
            return entry, True

    def _forget(self, key: Key) -> None:
        self._entries.pop(key, None)
        e = self._finished.pop(key, None)
        if e is not None:
            self._bytes -= e.nbytes
        seqs = self._by_client.get(key[0])
        if seqs is not None:
            seqs.discard(key[1])
            if not seqs:
                del self._by_client[key[0]]

    def _evict(self) -> None:
        """Oldest finished entries first (running entries stay): expired ones, then beyond the
        entry budget; then results beyond the byte budget are dropped (their keys stay)."""
        now = time.monotonic()
        while self._finished:
            key, e = next(iter(self._finished.items()))
            if now - e.finished_at <= self.ttl and len(self._entries) <= self.max_entries:
                break
            self._forget(key)
        newest = next(reversed(self._finished), None)   # its resend may be waiting for it
        for key, e in self._finished.items():
            if self._bytes <= self.max_bytes or key == newest:
                break
            if e.nbytes:
                self._bytes -= e.nbytes
                e.nbytes = 0
                e.outcome = Outcome(error=DROPPED)

    def _finish(self, key: Key, entry: _Entry, outcome: Outcome) -> None:
        nbytes = value_nbytes(outcome.value) if outcome.value is not None else 0
        with self._lock:
            entry.outcome = outcome
            entry.finished_at = time.monotonic()
            if self._entries.get(key) is entry:
                entry.nbytes = nbytes
                self._bytes += nbytes
                self._finished[key] = entry
                self._evict()
        entry.done.set()

    def _abandon(self, key: Key, entry: _Entry) -> None:
        with self._lock:
            if self._entries.get(key) is entry:
                self._forget(key)
        entry.abandoned = True
        entry.done.set()
