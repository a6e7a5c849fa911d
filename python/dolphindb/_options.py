"""Keyword validation and request-flag composition shared by Session and DBConnectionPool.

The official client's texts are kept where users match on them (OFFICIAL_API.md §5).
"""
from __future__ import annotations

import datetime
import importlib.util
import logging
import os
from enum import Enum

from . import _core
from .logger import default_logger  # noqa: F401  (the client's stdout sink, as in the official client)

PROTOCOL_DEFAULT, PROTOCOL_DDB, PROTOCOL_PICKLE, PROTOCOL_ARROW = 0, 1, 2, 3

FLAG_ASYNC = 4
FLAG_PICKLE = 8
FLAG_CLEAR_MEMORY = 16
FLAG_API_CLIENT = 32
FLAG_COMPRESS = 64
FLAG_PYTHON = 2048
FLAG_KDB = 4096
FLAG_ARROW_OR_LIST = 32768
FLAG_DISABLE_DECIMAL = 1 << 23


def enum_value(x) -> int:
    return x.value if isinstance(x, Enum) else int(x)


FLAGS_PROTOCOL = FLAG_PICKLE | FLAG_ARROW_OR_LIST

COMPRESS_METHODS = {"none": 0, "lz4": 1, "delta": 2}


def resolve_protocol(protocol, compress: bool, enable_pickle=None, *, invalid=RuntimeError) -> int:
    """PROTOCOL_DEFAULT means PICKLE in this project. Compression is a DDB feature: PICKLE with
    compress=True talks DDB, as the official client does (its wire flag is 96, not 104).
    `invalid`: the class of the error for an unknown protocol or ARROW with compression, which
    is RuntimeError from the official DBConnectionPool and, from its Session, pydantic's
    ValidationError (a ValueError)."""
    if enable_pickle and protocol != PROTOCOL_DEFAULT:   # checked first, as the official client does
        raise RuntimeError("When enablePickle=true, the parameter protocol must not be specified. ")
    if protocol not in (PROTOCOL_DEFAULT, PROTOCOL_DDB, PROTOCOL_PICKLE, PROTOCOL_ARROW):
        raise invalid(f"Protocol {protocol} is not supported. ")
    if protocol == PROTOCOL_DEFAULT:
        protocol = PROTOCOL_DDB if enable_pickle is False else PROTOCOL_PICKLE
    if compress and protocol == PROTOCOL_ARROW:
        raise invalid("The Arrow protocol does not support compression.")
    if compress:
        return PROTOCOL_DDB
    if protocol == PROTOCOL_ARROW and importlib.util.find_spec("pyarrow") is None:
        raise ImportError("PROTOCOL_ARROW needs pyarrow: pip install 'dolphindb-fast[arrow]'")
    return protocol


def parser_flag(python: bool, parser) -> int:
    from .settings import ParserType
    if python:
        if parser not in (None, ParserType.Default, 0):
            raise RuntimeError("The parameter parser must not be specified when python=true")
        return FLAG_PYTHON
    if parser is None:
        return 0
    if isinstance(parser, str):
        parser = ParserType.parse_from_str(parser)
    value = enum_value(parser)
    return {2: FLAG_PYTHON, 3: FLAG_KDB}.get(value, 0)


def session_flag(*, protocol: int, compress: bool, python: bool, parser, sql_std, enable_async=False) -> int:
    """Session-wide bits, sent on the handshake and every request (PROTOCOL.md §2.2.1): 8 for
    PICKLE, 32768 for ARROW (both decoded natively: cpp/protocol/pickle.h, arrow_stream.h),
    64 for compression (DDB only), 2048 for the Python parser."""
    flag = FLAG_API_CLIENT
    if protocol == PROTOCOL_PICKLE:
        flag |= FLAG_PICKLE
    elif protocol == PROTOCOL_ARROW:
        flag |= FLAG_ARROW_OR_LIST
    if compress:
        flag |= FLAG_COMPRESS
    flag |= parser_flag(python, parser)
    flag |= enum_value(sql_std or 0) << 19
    if enable_async:
        flag |= FLAG_ASYNC
    return flag


DEFAULT_PRIORITY = 4
DEFAULT_PARALLELISM = 64


def validate_priority(priority) -> int:
    if priority is None:
        return DEFAULT_PRIORITY
    if not isinstance(priority, int) or not 0 <= priority <= 9:
        raise RuntimeError("priority must be an integer from 0 to 9")
    return priority


def validate_parallelism(parallelism) -> int:
    if parallelism is None:
        return DEFAULT_PARALLELISM
    if not isinstance(parallelism, int) or parallelism <= 0:
        raise RuntimeError("parallelism must be an integer greater than 0")
    return parallelism


def request_flag(base: int, *, clear_memory=False, disable_decimal=False, table_to_list=False) -> int:
    """One request's flag. Under PICKLE, pickleTableToList asks the server for a list of arrays
    (flag 32768 beside 8), as the official client does; otherwise it is applied locally."""
    flag = base
    if clear_memory:
        flag |= FLAG_CLEAR_MEMORY
    if disable_decimal:
        flag |= FLAG_DISABLE_DECIMAL
    if table_to_list and flag & FLAG_PICKLE:
        flag |= FLAG_ARROW_OR_LIST
    return flag


def ddb_flag(flag: int) -> int:
    """The flag of requests the official client always sends in the DDB protocol (uploads,
    paged fetchSize reads, login): the PICKLE / ARROW bits removed."""
    return flag & ~FLAGS_PROTOCOL


def compress_methods(methods, compress: bool, has_objects: bool = True):
    """compressMethods={"column": "lz4" | "delta" | "none"} (case-insensitive: the official
    MultithreadedTableWriter spells them "LZ4" / "DELTA") -> {column: method id} for the core;
    None -> None. Columns not named are sent LZ4, or delta-of-delta where a sample says it is
    smaller; SYMBOL columns are never compressed."""
    if methods is None:
        return None
    if not compress:
        raise RuntimeError("compressMethods requires a connection created with compress=True")
    if not has_objects:
        raise RuntimeError("compressMethods applies to table arguments or uploads; this call has none")
    if not isinstance(methods, dict):
        raise TypeError("compressMethods must be a dict of column name -> 'lz4', 'delta' or 'none'")
    out = {}
    for column, method in methods.items():
        if not isinstance(column, str):
            raise TypeError("compressMethods keys must be column names (str)")
        if not isinstance(method, str) or method.lower() not in COMPRESS_METHODS:
            raise RuntimeError(f"Unsupported compression method {method!r} for column {column!r}: "
                               "use 'lz4', 'delta' or 'none'")
        out[column] = COMPRESS_METHODS[method.lower()]
    return out


def check_arrow_uploads(objects, protocol: int) -> None:
    """A pyarrow.Table may only be uploaded under PROTOCOL_ARROW, as in the official client."""
    if protocol == PROTOCOL_ARROW:
        return
    for obj in objects:
        if type(obj).__module__.startswith("pyarrow") and type(obj).__name__ == "Table":
            raise RuntimeError("pyarrow.Table upload requires protocol='arrow'.")


def timeout_ms(value, name="timeout") -> int:
    """datetime.timedelta or seconds -> milliseconds; None / 0 -> -1 (no timeout)."""
    if value is None:
        return -1
    if isinstance(value, datetime.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise TypeError(f"The parameter '{name}' must be datetime.timedelta.")
    if seconds < 0:
        raise ValueError(f"The parameter '{name}' must not be negative.")
    return -1 if seconds == 0 else max(1, int(seconds * 1000))


def tls_setting(enable_ssl, ca_file, verify):
    """The core's `tls` keyword: None (plaintext) or (CA file, verify).

    The official client's enableSSL encrypts but accepts any certificate. Here the server's
    certificate chain and host name are verified by default (against the system's trusted CAs, or
    the PEM file `sslCAFile`), because encryption without verification does not stop anyone on the
    path from impersonating the server. `sslVerify=False` turns verification off explicitly."""
    if not enable_ssl:
        if ca_file is not None or verify is not None:
            raise ValueError("sslCAFile and sslVerify apply to TLS connections: pass enableSSL=True")
        return None
    if verify is None:
        verify = True
    if not isinstance(verify, bool):
        raise TypeError(f"sslVerify must be a bool, not {type(verify).__name__}")
    if ca_file is None:
        return ("", verify)
    ca_file = os.fspath(ca_file)
    if not isinstance(ca_file, str) or not ca_file:
        raise TypeError("sslCAFile must be the path of a PEM file")
    if not verify:
        raise ValueError("sslCAFile has no effect with sslVerify=False: pass one or the other")
    return (ca_file, verify)


RECONNECT_TIMEOUT = 30.0   # seconds: the longest one reconnect/failover episode may take


def log_connection_event(kind: str, source: str, target: str, reason: str) -> None:
    log = logging.getLogger("dolphindb")
    if kind == "resend":
        log.warning("Resending a request that failed on %s: %s", source, reason)
    elif kind == "give_up":
        log.error("Giving up on %s: %s", source, reason)
    elif kind == "attempt_failed":   # one line per try, as the official client prints them
        log.error("Connect to %s failed: %s", target, reason)
    else:
        log.warning("%s from %s to %s: %s", kind.capitalize(), source, target, reason)


def resilience_options(*, high_availability, sites, reconnect, try_reconnect_nums, reconnect_timeout,
                       use_public_name, startup="") -> _core.ResilienceOptions:
    """The core's highAvailability / reconnect options, validated."""
    if sites is None:
        sites = []
    if isinstance(sites, str) or not all(isinstance(s, str) for s in sites):
        raise TypeError("highAvailabilitySites must be a list of 'host:port' strings")
    if try_reconnect_nums is None:
        try_reconnect_nums = -1
    elif not isinstance(try_reconnect_nums, int) or isinstance(try_reconnect_nums, bool):
        raise TypeError("tryReconnectNums must be an int or None")
    timeout = timeout_ms(RECONNECT_TIMEOUT if reconnect_timeout is None else reconnect_timeout, "reconnectTimeout")
    if timeout < 0:
        raise ValueError("The parameter 'reconnectTimeout' must be positive.")
    try:
        return _core.ResilienceOptions(highAvailability=bool(high_availability), sites=list(sites),
                                       reconnect=bool(reconnect), maxPasses=max(try_reconnect_nums, -1),
                                       giveUpAfterMs=timeout, usePublicName=bool(use_public_name), startup=startup)
    except ValueError as e:   # only a site can be malformed
        raise ValueError(f"highAvailabilitySites: {e}") from None


def io_threads(value, connections: int) -> int:
    """The core's io_threads: 0 = a thread per connection, N = epoll reactor + N executors.

    Default: a thread per connection while the pool has no more connections than the machine
    has cores (measured: ~75 us of client CPU per sequential task against ~110 us through the
    reactor, whose hand-off costs two extra wake-ups); beyond that, the reactor with one executor
    per core, so hundreds of connections cost cores + 1 threads."""
    if value is None:
        import os
        cores = os.cpu_count() or 1
        return 0 if connections <= cores else cores
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("ioThreads must be None or a non-negative int")
    return value
