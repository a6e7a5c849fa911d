"""What the interpreter needs from a session, and what the server provides.

The server core creates one ``SessionContext`` per connection; the interpreter reads and writes
``variables``, calls ``emit`` for ``print`` output and ``check_cancelled`` in loops and sleeps.
The language sees the node it runs in only through ``Host``: shared tables, the DFS engine, the
object serialization (``writeObject`` / ``readObject``) and the directory its files live in.
The system built-ins of ``node/sysfuncs.py`` are registered by the node and reach the whole
server; the language's own built-ins never do.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Protocol, Tuple

from ..errors import CANCELLED, CancelledJob
from ..storage import Engine




class Host(Protocol):
    """The node as the interpreter sees it."""

    dfs: Engine                                                # the DFS catalog of the node / cluster

    def share(self, name: str, value: Any, owner: str) -> None: ...   # `share t as name`

    def read_shared(self, name: str, user: str) -> Any: ...    # a shared table, privilege-checked; None if absent

    def serialize(self, value: Any) -> bytes: ...             # the object as the wire carries it

    def deserialize(self, data: bytes) -> Tuple[Any, int]: ...  # the object at the start of data, bytes used

    def file_sandbox(self) -> Path: ...                        # the directory `file(name)` resolves in


class SessionContext:
    def __init__(self, server: Optional[Host] = None, session_id: int = 0, user: str = "guest",
                 remote: str = "", emit: Optional[Callable[[str], None]] = None):
        self.server = server                 # the node; None for a bare interpreter (tests)
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
        self.files: List[Any] = []           # the file handles the session holds open (builtins/files.py)

    def emit(self, text: str) -> None:
        """Print output of the running job (an API2 MSG frame)."""
        if self._emit is not None:
            self._emit(text)
        else:
            self.output.append(text)

    def close(self) -> None:
        """The session ended: closes the files it still holds."""
        files, self.files = self.files, []
        for handle in files:
            handle.close()

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise CancelledJob(CANCELLED)

    def sleep(self, seconds: float) -> None:
        """Sleeps, waking early (and raising) if the job is cancelled."""
        if self.cancel_event.wait(seconds):
            raise CancelledJob(CANCELLED)

    # Shared tables live in the server; a bare session (tests) keeps them locally.
    def lookup_shared(self, name: str):
        if self.server is not None:
            return self.server.read_shared(name, self.user)
        return None
