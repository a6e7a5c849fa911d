"""Invalid connection options fail with the official client's exception classes: a Session's
protocol is validated as the official ConnectionSetting validates it (pydantic's ValidationError,
a ValueError), the pool's as RuntimeError."""
from __future__ import annotations

from support.official import outcomes_in_both_clients

CASES = [
    ("Session", {"protocol": 4}), ("Session", {"protocol": None}), ("Session", {"protocol": 3, "compress": True}),
    ("Session", {"protocol": 1, "enablePickle": True}),
    ("DBConnectionPool", {"protocol": 4}), ("DBConnectionPool", {"protocol": None}),
    ("DBConnectionPool", {"protocol": 3, "compress": True}),
]


def _error_classes(ddb, cases):
    out = []
    for cls, kwargs in cases:
        try:
            if cls == "Session":
                ddb.Session(**kwargs)
            else:   # validated before connecting: no server needed
                ddb.DBConnectionPool("127.0.0.1", 1, 1, "admin", "123456", **kwargs)
            out.append("no error")
        except Exception as e:
            out.append(f"ValueError={isinstance(e, ValueError)} RuntimeError={isinstance(e, RuntimeError)}")
    return out


def test_invalid_protocols_raise_the_official_exception_classes(official):
    ours, theirs = outcomes_in_both_clients(official, _error_classes, CASES)
    assert ours == theirs
    assert ours[1] == "ValueError=True RuntimeError=False" and ours[5] == "ValueError=False RuntimeError=True"
