"""What the interpreter needs from a session, and what the server provides.

The server core creates one ``SessionContext`` per connection; the interpreter reads and writes
``variables``, calls ``emit`` for ``print`` output and ``check_cancelled`` in loops and sleeps.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List, Optional


class CancelledJob(Exception):
    """Raised inside a running job once ``cancelConsoleJob`` cancelled it."""


class SessionContext:
    def __init__(self, server: Any = None, session_id: int = 0, user: str = "guest",
                 remote: str = "", emit: Optional[Callable[[str], None]] = None):
        self.server = server                 # the ServerState (shared tables, users, jobs ...)
        self.session_id = session_id
        self.user = user
        self.remote = remote                 # "host:port" of the client
        self.variables: Dict[str, Any] = {}  # name -> Value
        self.functions: Dict[str, Any] = {}  # user-defined functions (name -> FunctionDef)
        self._emit = emit
        self.cancel_event = threading.Event()
        self.python_syntax = False           # request flag 2048
        self.output: List[str] = []          # print output when no emitter is attached
        self.max_value_bytes = 0             # the largest value a variable may hold (0 = no limit)

    def emit(self, text: str) -> None:
        """Print output of the running job (an API2 MSG frame)."""
        if self._emit is not None:
            self._emit(text)
        else:
            self.output.append(text)

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise CancelledJob("The task was cancelled.")

    def sleep(self, seconds: float) -> None:
        """Sleeps, waking early (and raising) if the job is cancelled."""
        if self.cancel_event.wait(seconds):
            raise CancelledJob("The task was cancelled.")

    # Shared tables live in the server; a bare session (tests) keeps them locally.
    def lookup_shared(self, name: str):
        if self.server is not None:
            return self.server.state.read_shared(name, self.user)
        return None
