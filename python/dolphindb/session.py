"""dolphindb.Session: one connection, same API as the official client, native core underneath."""
from __future__ import annotations

import atexit
import logging
import re
import warnings
import weakref
from typing import Callable, Optional

from . import _core
from .catalog import CatalogMethods
from ._options import (PROTOCOL_DEFAULT, check_arrow_uploads, compress_methods, ddb_flag, request_flag,
                       log_connection_event, resilience_options, resolve_protocol, session_flag, timeout_ms, tls_setting,
                       validate_parallelism, validate_priority)

log = logging.getLogger("dolphindb")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_live_sessions: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _cut_busy_sessions():
    """At exit, a session still busy is used by a daemon thread (Python joined the others
    already): its request (or reconnect episode) is cut, so that no native wait outlives the
    interpreter; the thread gets the error, or stays parked if the interpreter is gone by then."""
    for session in list(_live_sessions):
        if session._core.busy():
            session._core.close()


class BlockReader:
    """Iterates the blocks of a paged table result (fetchSize): read(), hasNext(), skipAll()."""

    def __init__(self, blocks):
        self._blocks = list(blocks)
        self._next = 0

    def hasNext(self) -> bool:
        return self._next < len(self._blocks)

    @property
    def has_next(self) -> bool:
        return self.hasNext()

    def read(self):
        if not self.hasNext():
            return None
        block = self._blocks[self._next]
        self._next += 1
        return block

    def skipAll(self) -> None:
        self._next = len(self._blocks)

    skip_all = skipAll

    def __iter__(self):
        while self.hasNext():
            yield self.read()


class Session(CatalogMethods):
    def __init__(self, host=None, port=None, userid="", password="", enableSSL=False, enableASYNC=False,
                 keepAliveTime=None, enableChunkGranularityConfig=False, compress=False, enablePickle=None,
                 protocol=PROTOCOL_DEFAULT, python=False, *, enableASYN=None, show_output=True,
                 sqlStd=None, parser=None, on_message: Optional[Callable[[str], None]] = None,
                 sslCAFile=None, sslVerify=None, enableEncryption=True):
        """enableSSL=True runs the session over TLS and, unlike the official client, verifies the
        server's certificate and host name: against the system's trusted CAs, or the CAs in the
        PEM file `sslCAFile`; `sslVerify=False` accepts any certificate (the official behaviour).
        enableEncryption (keyword-only): log in with the user id and password encrypted by the
        server's RSA key (getDynamicPublicKey), on connect and on every reconnect or failover;
        False sends them in clear inside the handshake, as the official Python client does."""
        if enableASYN is not None:
            warnings.warn("enableASYN is deprecated; use enableASYNC", DeprecationWarning, stacklevel=2)
            enableASYNC = enableASYNC or enableASYN
        self._tls = tls_setting(enableSSL, sslCAFile, sslVerify)
        self.protocol = resolve_protocol(protocol, compress, enablePickle, invalid=ValueError)
        self._flag = session_flag(protocol=self.protocol, compress=compress, python=python, parser=parser,
                                  sql_std=sqlStd, enable_async=enableASYNC)
        self._async = enableASYNC
        self._compress = bool(compress)
        self._encrypt_login = bool(enableEncryption)
        self.show_output = show_output
        self.on_message = on_message
        self._core = _core.SessionCore()
        _live_sessions.add(self)
        self._closed = False
        self.host, self.port, self.userid, self.password = host, port, userid, password
        self.enableChunkGranularityConfig = bool(enableChunkGranularityConfig)
        self._startup = ""
        if host is not None and port is not None:
            self.connect(host, port, userid, password)

    # -- connection ------------------------------------------------------------------------
    def connect(self, host, port, userid=None, password=None, startup=None, highAvailability=False,
                highAvailabilitySites=None, keepAliveTime=None, reconnect=False, *, tryReconnectNums=None,
                netTimeout=None, timeout=None, readTimeout=None, writeTimeout=None, usePublicName=False,
                reconnectTimeout=None) -> bool:
        """Returns True on success; False with the reason logged and kept in `last_error`.

        With highAvailability or reconnect, a request whose connection breaks (or whose node
        answers <NotLeader>/<DataNodeNotAvail>..., or a read timeout) is resent on a new session
        (another node with HA) with its sequence number negated, so the server runs it once. The
        new session has lost the old one's variables: `startup` runs again on every new session.
        One reconnect episode is bounded by `reconnectTimeout` (seconds, default 30) and
        `tryReconnectNums` passes over the nodes; a request is resent at most 3 times."""
        if not isinstance(port, int):
            raise TypeError(f"port must be an int, not {type(port).__name__}")
        read_ms = timeout_ms(timeout if timeout is not None else readTimeout, "timeout")
        connect_ms = timeout_ms(netTimeout if netTimeout is not None else writeTimeout, "netTimeout")
        self.host, self.port = host, port
        self.userid = userid if userid is not None else self.userid or ""
        self.password = password if password is not None else self.password or ""
        resilience = resilience_options(high_availability=highAvailability, sites=highAvailabilitySites,
                                        reconnect=reconnect, try_reconnect_nums=tryReconnectNums,
                                        reconnect_timeout=reconnectTimeout, use_public_name=usePublicName,
                                        startup=startup or "")
        self._startup = startup or ""
        options = _core.ConnectOptions(host=host, port=port, user=self.userid, password=self.password,
                                       sessionFlag=self._flag, connectTimeoutMs=connect_ms if connect_ms > 0 else 3000,
                                       readTimeoutMs=read_ms, tls=self._tls, encryptLogin=self._encrypt_login)
        # With reconnect or highAvailability the core retries a node that does not answer yet
        # (tryReconnectNums tries, reconnectTimeout), and if it gives up, tries again on the next
        # request, as the official client does.
        try:
            self._core.connect(options, resilience, on_event=log_connection_event)
        except RuntimeError as e:
            log.error("Connect to %s:%s failed: %s", host, port, e)
            return False
        self._closed = False
        return True

    @property
    def last_error(self) -> Optional[str]:
        """Why the session is not connected: the last failed connect (or retry on a request); None once connected."""
        return self._core.connect_error() or None

    @property
    def node(self) -> str:
        """The "host:port" this session is connected to now (changes after a failover)."""
        return self._core.node()

    def stats(self) -> dict:
        """resends, reconnects and failovers of the current connection."""
        return dict(self._core.stats())

    @property
    def startup(self) -> str:
        """The script every new session of a reconnecting connection runs first; `connect`
        replaces it with its `startup` argument."""
        return self._startup

    @startup.setter
    def startup(self, script: str) -> None:
        if not isinstance(script, str):
            raise TypeError(f"the init script must be a str, not {type(script).__name__}")
        self._core.set_startup(script)
        self._startup = script

    def getInitScript(self) -> str:
        return self.startup

    def setInitScript(self, script: str) -> None:
        self.startup = script

    def login(self, userid, password, enableEncryption=True) -> bool:
        """Encrypted with the server's RSA key unless enableEncryption=False; reconnects and
        failovers log in as this user the same way. Raises AuthenticationError."""
        self._core.login(userid, password, bool(enableEncryption))
        self.userid, self.password = userid, password
        return True

    def close(self) -> None:
        self._temporaries.clear()   # the server frees a closed session's variables
        self._core.close()
        self._closed = True

    def isClosed(self) -> bool:
        return self._closed

    def getSessionId(self) -> str:
        return self._core.session_id()

    @property
    def session_id(self) -> str:
        return self.getSessionId()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- requests --------------------------------------------------------------------------
    def _emit(self, text: str) -> None:
        if self.show_output:
            log.info("%s", text)
        if self.on_message is not None:
            self.on_message(text)

    def run(self, script, *args, clearMemory=None, pickleTableToList=None, priority=None, parallelism=None,
            fetchSize=None, disableDecimal=None, compressMethods=None, timeout=None, _call=False):
        """compressMethods={"column": "lz4" | "delta" | "none"}: how table arguments are compressed
        (compress=True sessions only; by default LZ4, or delta-of-delta where smaller).
        timeout (seconds): a deadline for the whole request, however slowly the reply arrives;
        past it the job is cancelled on the server and DDBTimeoutError is raised. Ctrl-C cancels
        the job the same way and raises KeyboardInterrupt; the session stays usable."""
        priority = validate_priority(priority)
        parallelism = validate_parallelism(parallelism)
        self._free_temporaries()
        to_list = bool(pickleTableToList)
        flag = request_flag(self._flag, clear_memory=bool(clearMemory), disable_decimal=bool(disableDecimal),
                            table_to_list=to_list)
        methods = compress_methods(compressMethods, self._compress, bool(args))
        deadline_ms = timeout_ms(timeout)
        if fetchSize is not None:
            if fetchSize < 8192:
                raise RuntimeError("<Exception> in runBlock: fetchSize must be greater than 8192")
            if args:
                raise RuntimeError("<Exception> in runBlock: fetchSize can only be used when running a script")
            # Paged reads are DDB-encoded under every protocol, as in the official client.
            blocks = self._core.run(script, ddb_flag(flag), priority, parallelism, fetchSize, to_list, self._emit,
                                    deadline_ms)
            if not isinstance(blocks, list):
                raise RuntimeError("<Exception> in runBlock: Fetch size can only be set when executing "
                                   "scripts that return a table.")
            return BlockReader(blocks)
        if args or _call:   # call(): a function call even without arguments
            check_arrow_uploads(args, self.protocol)
            result = self._core.call(script, list(args), flag, priority, parallelism, to_list, self._emit, methods,
                                     deadline_ms)
        else:
            result = self._core.run(script, flag, priority, parallelism, 0, to_list, self._emit, deadline_ms)
        return None if self._async else result

    def _run_with_table_schema(self, script, *args, clearMemory=None, pickleTableToList=None, priority=None,
                               parallelism=None, disableDecimal=None):
        """(result, schema) as the official client's: schema maps each column of a table result to
        (type name, DECIMAL scale or None), e.g. ('DECIMAL32', 2), ('BOOL[]', None); None otherwise."""
        priority = validate_priority(priority)
        parallelism = validate_parallelism(parallelism)
        self._free_temporaries()
        flag = request_flag(self._flag, clear_memory=bool(clearMemory), disable_decimal=bool(disableDecimal),
                            table_to_list=bool(pickleTableToList))
        result, schema = self._core.run_with_schema(script, list(args), ddb_flag(flag), priority, parallelism,
                                                    bool(pickleTableToList), self._emit)
        return result, schema

    def exec(self, script, *, clear_memory=None, table_to_list=None, priority=None, parallelism=None,
             fetch_size=None, disable_decimal=None):
        return self.run(script, clearMemory=clear_memory, pickleTableToList=table_to_list, priority=priority,
                        parallelism=parallelism, fetchSize=fetch_size, disableDecimal=disable_decimal)

    def call(self, func, *args, clear_memory=None, table_to_list=None, priority=None, parallelism=None,
             disable_decimal=None, compress_methods=None):
        return self.run(func, *args, clearMemory=clear_memory, pickleTableToList=table_to_list,
                        priority=priority, parallelism=parallelism, disableDecimal=disable_decimal,
                        compressMethods=compress_methods, _call=True)

    def upload(self, nameObjectDict, compressMethods=None) -> int:
        if not isinstance(nameObjectDict, dict):
            raise RuntimeError("upload expects a dict of variable names to objects")
        names = []
        for k in nameObjectDict:
            if isinstance(k, bytes):
                k = k.decode()
            if not isinstance(k, str):
                raise RuntimeError("non-string key in upload dictionary is not allowed")
            if not _IDENTIFIER.match(k):
                raise RuntimeError(f"{k} is not a qualified variable name.")
            names.append(k)
        if not names:
            return -1
        methods = compress_methods(compressMethods, self._compress)
        objects = list(nameObjectDict.values())
        self._free_temporaries()
        check_arrow_uploads(objects, self.protocol)
        self._core.upload(names, objects, ddb_flag(self._flag), methods)
        return -1

    def runFile(self, filepath, *args, **kwargs):
        with open(filepath, encoding="utf-8") as f:
            return self.run(f.read(), *args, **kwargs)


session = Session
