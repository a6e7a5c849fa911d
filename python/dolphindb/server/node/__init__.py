"""The node: listener, sessions and jobs, request dedup, persistence, users, limits and the
system built-ins that need the server state."""
