"""The node: listener, sessions and jobs, request dedup, persistence, users, limits and the
system built-ins that need the server state."""

# registering the system built-ins here, not in server.py, lets them name the Server type
from . import sysfuncs  # noqa: E402,F401
