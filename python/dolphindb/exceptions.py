"""Typed errors of the client, all RuntimeError subclasses (the official client raises
RuntimeError everywhere, so existing ``except RuntimeError`` code keeps working). The classes
are created once by the C++ extension (src/errors.cpp), one per core error class.

    RuntimeError
    └── DolphinDBError (alias DDBError)
        ├── NetworkError          connect refused/reset/closed, DNS
        │   └── TlsError          untrusted/mismatched certificate, a peer that does not speak TLS
        ├── ProtocolError         malformed bytes from the peer (or given to io.loads)
        ├── ServerError           the server answered with an error
        ├── AuthenticationError   wrong user name or password
        ├── DDBTimeoutError       connect / read / task timeout (not the builtin TimeoutError)
        ├── CancelledError        the task was cancelled (not asyncio.CancelledError)
        ├── PoolClosedError       the pool has been shut down
        └── ConversionError       a value that cannot be converted (Python <-> DolphinDB)
"""
from ._core import (
                    AuthenticationError,
                    CancelledError,
                    ConversionError,
                    DDBError,
                    DDBTimeoutError,
                    DolphinDBError,
                    NetworkError,
                    PoolClosedError,
                    ProtocolError,
                    ServerError,
                    TlsError,
)

__all__ = ["DolphinDBError", "DDBError", "NetworkError", "ProtocolError", "ServerError", "TlsError", "AuthenticationError",
           "DDBTimeoutError", "CancelledError", "PoolClosedError", "ConversionError"]
