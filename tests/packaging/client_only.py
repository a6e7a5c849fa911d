"""Run by .ci/run in a venv holding the wheel without extras: the client imports and works
without pyarrow, lz4, zstandard or cryptography, and what needs an extra says which.
(Not collected by pytest: it needs that venv.)"""
import importlib.util

import dolphindb as ddb
from dolphindb import settings

for module in ("pyarrow", "lz4", "zstandard", "cryptography"):
    assert importlib.util.find_spec(module) is None, f"{module} is installed: not a client-only venv"

s = ddb.Session()                      # the extension loads; numpy and pandas are enough
frame = ddb.io.loads(ddb.io.dumps(__import__("pandas").DataFrame({"a": [1, 2], "s": ["x", "y"]})))
assert list(frame["a"]) == [1, 2] and list(frame["s"]) == ["x", "y"], frame

try:
    ddb.Session(protocol=settings.PROTOCOL_ARROW)
except ImportError as e:
    assert "dolphindb-fast[arrow]" in str(e), e
else:
    raise AssertionError("PROTOCOL_ARROW without pyarrow did not raise")

try:
    import dolphindb.server  # noqa: F401
except ImportError as e:
    assert "dolphindb-fast[server]" in str(e), e
else:
    raise AssertionError("dolphindb.server without its extra did not raise")
print("client-only venv: ok")
