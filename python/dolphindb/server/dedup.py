"""Exactly-once execution of resent requests (PROTOCOL.md §2.2.4).

An HA or reconnecting client tags each script/function request with its clientId and a sequence
number; after a failover it resends the same request with the number negated. The log is keyed
by (clientId, |seqNo|) and shared by every node of a cluster: the first request with a key runs
the job, any later one with the same key (the resend, on whichever node) gets the recorded outcome
or waits for the running job instead of running it again. A key whose first run was abandoned by
a server shutdown is released, so its resend runs.

Memory stays bounded: a client sends its requests one after another, so a new positive sequence
number retires that client's finished entries with smaller numbers; beyond `max_entries` the
oldest finished entries are evicted.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, Optional, Set, Tuple

Key = Tuple[str, int]

WAIT_SLICE = 0.1  # seconds between cancellation checks while waiting for the first run


@dataclass
class Outcome:
    """What a job produced: a value (None = void) or the error text of the status line."""
    value: Any = None
    error: Optional[str] = None
    cancelled: bool = False


class _Entry:
    __slots__ = ("done", "outcome", "abandoned")

    def __init__(self):
        self.done = threading.Event()
        self.outcome: Optional[Outcome] = None
        self.abandoned = False


def request_key(req) -> Optional[Key]:
    """The dedup key of a request, or None when it carries no clientId/seqNo (§2.2.4: only
    script and function requests are tagged)."""
    if req.client_id and req.seq_no and req.body_kind in ("script", "function"):
        return (req.client_id, abs(req.seq_no))
    return None


class RequestLog:
    def __init__(self, max_entries: int = 10_000):
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: "OrderedDict[Key, _Entry]" = OrderedDict()
        self._by_client: Dict[str, Set[int]] = {}

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
                    self._finish(entry, outcome)
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
                    self._entries.pop((client, old), None)
                    seqs.discard(old)
            seqs.add(seq)
            self._evict()
            return entry, True

    def _evict(self) -> None:
        excess = len(self._entries) - self.max_entries
        if excess <= 0:
            return
        victims = []
        for k, e in self._entries.items():   # oldest first; running entries stay
            if e.done.is_set():
                victims.append(k)
                if len(victims) == excess:
                    break
        for key in victims:
            del self._entries[key]
            seqs = self._by_client.get(key[0])
            if seqs is not None:
                seqs.discard(key[1])
                if not seqs:
                    del self._by_client[key[0]]

    def _finish(self, entry: _Entry, outcome: Outcome) -> None:
        entry.outcome = outcome
        entry.done.set()

    def _abandon(self, key: Key, entry: _Entry) -> None:
        with self._lock:
            if self._entries.get(key) is entry:
                del self._entries[key]
                self._by_client.get(key[0], set()).discard(key[1])
        entry.abandoned = True
        entry.done.set()


__all__ = ["Outcome", "RequestLog", "request_key"]
