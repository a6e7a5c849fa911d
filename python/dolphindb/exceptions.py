"""Typed errors of the client, all RuntimeError subclasses (the official client raises
RuntimeError everywhere, so existing `except RuntimeError` code keeps working).

    DolphinDBError
    ├── NetworkError          connect refused/reset/closed, DNS
    ├── ProtocolError         malformed bytes from the peer
    ├── ServerError           the server answered with an error line
    ├── AuthenticationError   wrong user name or password
    ├── DDBTimeoutError       connect / read / task timeout
    ├── CancelledError        the task was cancelled
    ├── PoolClosedError       the pool has been shut down
    └── ConversionError       a Python object that cannot become a DolphinDB object
"""
from ._core import (AuthenticationError, CancelledError, ConversionError, DDBTimeoutError, DolphinDBError,
                    NetworkError, PoolClosedError, ProtocolError, ServerError)

__all__ = ["DolphinDBError", "NetworkError", "ProtocolError", "ServerError", "AuthenticationError",
           "DDBTimeoutError", "CancelledError", "PoolClosedError", "ConversionError"]
