"""dolphindb.DBConnectionPool: the official API over a native pool with event-driven completion.

A finished task resolves its future from the pool thread: concurrent futures directly, asyncio
futures through their loop, woken once per batch of finished tasks (_LoopCompletions). Nothing
polls. No callback holds a reference to the pool, so `del pool` releases every connection.
"""
from __future__ import annotations

import asyncio
import atexit
import collections
import concurrent.futures
import os
import threading
import time
import warnings
import weakref

from . import _core
from ._options import (DEFAULT_PARALLELISM, DEFAULT_PRIORITY, PROTOCOL_DEFAULT, check_arrow_uploads,
                       compress_methods, io_threads, log_connection_event, request_flag, resilience_options,
                       resolve_protocol, session_flag, timeout_ms, tls_setting, validate_parallelism,
                       validate_priority)

# How long shutDown() (and close(), leaving a `with` block, garbage collection, interpreter exit)
# waits by default for the tasks accepted before it: a bound for a silent server, not a budget.
SHUTDOWN_TIMEOUT = 30.0

_live_pools: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _shut_down_live_pools():
    """Pool threads end before the interpreter finalizes: one that finished a task later would
    need the GIL of an interpreter that is going away, which ends the process with an abort.
    Each pool is shut down as by shutDown(): the tasks it accepted run to completion, within
    SHUTDOWN_TIMEOUT; Ctrl-C meanwhile cuts them, and those of the pools after it, at once.
    A fork() child leaves its parent's pools alone. A constructor still connecting on another
    thread ends with PoolClosedError; it is waited for, as it too must be back in Python before
    the interpreter finalizes."""
    pools = [pool for pool in list(_live_pools) if pool._pid == os.getpid()]
    timeout = SHUTDOWN_TIMEOUT
    for pool in pools:
        try:
            pool.shutDown(timeout)
        except KeyboardInterrupt:
            timeout = 0   # that pool is closed all the same; the others are not waited for
    for pool in pools:
        pool._constructed.wait(SHUTDOWN_TIMEOUT)


def _closed_error():
    return _core.PoolClosedError("DBConnectionPool has been shut down.")


def _task_error(task_id, exc):
    """The official text users match on, keeping the typed exception class."""
    try:
        return type(exc)(f"<Exception> in isFinished: Task [{task_id}] come across exception : {exc}")
    except Exception:
        return exc


def _resolve_asyncio(fut: asyncio.Future, result, exc):
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)


class _LoopCompletions:
    """Results for one event loop's futures, handed over from pool threads. Only the first
    result of a batch wakes the loop (call_soon_threadsafe writes to the loop's self-pipe);
    the rest join the queue its drain empties. Runs with the GIL held on both sides: `add`
    appends before it reads `scheduled`, and `drain` clears `scheduled` before it reads the
    queue, so no result is left behind."""

    __slots__ = ("loop", "results", "scheduled")

    def __init__(self, loop):
        self.loop = loop
        self.results = collections.deque()
        self.scheduled = False

    def add(self, fut, result, exc):
        self.results.append((fut, result, exc))
        if self.scheduled:
            return
        self.scheduled = True
        try:
            self.loop.call_soon_threadsafe(self.drain)
        except RuntimeError:
            self.results.clear()   # the awaiting loop is closed: nobody can receive these results

    def drain(self):
        self.scheduled = False
        results = self.results
        while results:
            _resolve_asyncio(*results.popleft())


class _AddedTask:
    __slots__ = ("handle", "done", "result", "error")

    def __init__(self):
        self.handle = None
        self.done = False
        self.result = None
        self.error = None


class DBConnectionPool:
    def __init__(self, host, port, threadNum=10, userid=None, password=None, loadBalance=False,
                 highAvailability=False, compress=False, reConnect=False, python=False,
                 protocol=PROTOCOL_DEFAULT, *, show_output=True, sqlStd=None, tryReconnectNums=None,
                 parser=None, usePublicName=False, reconnect=None, timeout=None, connectTimeout=None,
                 readTimeout=None, highAvailabilitySites=None, reconnectTimeout=None, ioThreads=None,
                 enableSSL=False, sslCAFile=None, sslVerify=None, enableEncryption=True):
        """Extensions to the official signature (keyword-only): `timeout` is every task's default
        deadline (a task past it fails and its job is cancelled); `readTimeout` is how long a
        connection waits for a reply before it counts the node as dead (with highAvailability or
        reConnect: fail over / reconnect and resend); `highAvailabilitySites` lists the "host:port"
        nodes to fail over to (default: the cluster's data nodes); `reconnectTimeout` (seconds,
        default 30) bounds one reconnect/failover episode, `tryReconnectNums` its passes over the nodes.
        `ioThreads`: 0 runs one native thread per connection; N > 0 drives every connection from
        one epoll reactor plus N executor threads; None (default) chooses (see ARCHITECTURE.md).
        With loadBalance and highAvailability both on, connections are spread like loadBalance and
        each fails over like highAvailability (the official client ignores loadBalance then).
        `enableSSL`, `sslCAFile`, `sslVerify`: TLS as in Session (certificates verified by default).
        `enableEncryption` (default True): every connection logs in with the user id and password
        encrypted by the server's RSA key, on connect and on every reconnect or failover."""
        if not isinstance(port, int) or isinstance(port, bool):
            raise TypeError(f"port must be an int, not {type(port).__name__}")
        if not isinstance(threadNum, int) or threadNum < 1:
            raise ValueError("threadNum must be a positive integer")
        self.host, self.port = host, port
        self.userid, self.password = userid or "", password or ""
        self.loadBalance, self.highAvailability = loadBalance, highAvailability
        self.reConnect = bool(reConnect if reconnect is None else reconnect)
        self.tryReconnectNums = tryReconnectNums
        self.usePublicName = usePublicName
        self.show_output = show_output
        self.protocol = resolve_protocol(protocol, compress)
        self._compress = bool(compress)
        self._flag = session_flag(protocol=self.protocol, compress=compress, python=python, parser=parser,
                                  sql_std=sqlStd)
        self._timeout_ms = timeout_ms(timeout)
        # The flag of a task that sets no per-task option, by clearMemory: most tasks, so they skip
        # re-validating the defaults.
        self._plain_flags = (request_flag(self._flag), request_flag(self._flag, clear_memory=True))
        tls = tls_setting(enableSSL, sslCAFile, sslVerify)
        self.taskId = 0
        self.mutex = threading.Lock()
        self.loop = None
        self.thread = None
        self._added = {}
        self._completions = None
        connect = _core.ConnectOptions(host=host, port=port, user=self.userid, password=self.password,
                                       sessionFlag=self._flag,
                                       connectTimeoutMs=timeout_ms(connectTimeout, "connectTimeout")
                                       if connectTimeout else 3000,
                                       readTimeoutMs=timeout_ms(readTimeout, "readTimeout"), tls=tls,
                                       encryptLogin=bool(enableEncryption))
        resilience = resilience_options(high_availability=highAvailability, sites=highAvailabilitySites,
                                        reconnect=self.reConnect, try_reconnect_nums=tryReconnectNums,
                                        reconnect_timeout=reconnectTimeout, use_public_name=usePublicName)
        options = _core.PoolOptions(connect=connect, resilience=resilience, size=threadNum,
                                    loadBalance=bool(loadBalance), ioThreads=io_threads(ioThreads, threadNum))

        self.pool = _core.PoolCore(options, on_event=log_connection_event)
        self._shutdown = False
        self._pid = os.getpid()
        # Registered before connecting: shutDown() from another thread, or at exit, ends the
        # connect retries of a pool still being constructed.
        self._constructed = threading.Event()
        _live_pools.add(self)
        try:
            # With reConnect or highAvailability, a server that does not answer yet is retried by
            # the core (tryReconnectNums tries, reconnectTimeout, backoff), each failure logged.
            self.pool.open()
        except _core.PoolClosedError:
            self._shutdown = True
            raise _closed_error() from None
        except BaseException:
            self._shutdown = True
            raise
        finally:
            self._constructed.set()

    # -- submission ------------------------------------------------------------------------
    def _core(self):
        if self._shutdown:
            raise _closed_error()
        return self.pool

    def _submit(self, script, args, callback, *, clearMemory, pickleTableToList, priority, parallelism,
                disableDecimal, timeout, compressMethods=None):
        if (not args and priority is None and parallelism is None and timeout is None and compressMethods is None
                and not disableDecimal and not pickleTableToList):
            return self._core().submit(script, None, self._plain_flags[bool(clearMemory)], DEFAULT_PRIORITY,
                                       DEFAULT_PARALLELISM, self._timeout_ms, False, callback, None)
        priority = validate_priority(priority)
        parallelism = validate_parallelism(parallelism)
        flag = request_flag(self._flag, clear_memory=bool(clearMemory), disable_decimal=bool(disableDecimal),
                            table_to_list=bool(pickleTableToList))
        ms = timeout_ms(timeout) if timeout is not None else self._timeout_ms
        methods = compress_methods(compressMethods, self._compress, bool(args))
        if args:
            check_arrow_uploads(args, self.protocol)
        return self._core().submit(script, list(args) if args else None, flag, priority, parallelism, ms,
                                   bool(pickleTableToList), callback, methods)

    def _next_id(self) -> int:
        with self.mutex:
            self.taskId += 1
            return self.taskId

    async def run(self, script, *args, clearMemory=None, pickleTableToList=None, priority=None,
                  parallelism=None, disableDecimal=None, timeout=None, compressMethods=None):
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        task_id = self._next_id()
        completions = self._completions
        if completions is None or completions.loop is not loop:   # a pool is mostly used from one loop
            completions = self._completions = _LoopCompletions(loop)

        def done(result, exc):
            completions.add(fut, result, None if exc is None else _task_error(task_id, exc))

        handle = self._submit(script, args, done, clearMemory=True if clearMemory is None else clearMemory,
                              pickleTableToList=pickleTableToList, priority=priority, parallelism=parallelism,
                              disableDecimal=disableDecimal, timeout=timeout, compressMethods=compressMethods)
        try:
            return await fut
        except asyncio.CancelledError:
            if not handle.finished:   # also while shutDown drains: a cancelled task is not waited for
                await asyncio.get_running_loop().run_in_executor(None, self.pool.cancel, handle)
            raise

    def runTaskAsync(self, script, *args, clearMemory=None, pickleTableToList=None, priority=None,
                     parallelism=None, disableDecimal=None, timeout=None,
                     compressMethods=None) -> concurrent.futures.Future:
        fut = concurrent.futures.Future()
        task_id = self._next_id()

        def done(result, exc):
            if not fut.set_running_or_notify_cancel():
                return
            if exc is not None:
                fut.set_exception(_task_error(task_id, exc))
            else:
                fut.set_result(result)

        handle = self._submit(script, args, done, clearMemory=True if clearMemory is None else clearMemory,
                              pickleTableToList=pickleTableToList, priority=priority, parallelism=parallelism,
                              disableDecimal=disableDecimal, timeout=timeout, compressMethods=compressMethods)
        pool_core = self.pool

        def on_cancel(f):
            if f.cancelled() and not handle.finished:
                pool_core.cancel(handle)
        fut.add_done_callback(on_cancel)
        return fut

    def runTaskAsyn(self, script, *args, **kwargs):
        warnings.warn("The function 'runTaskAsyn' is deprecated. Please use 'runTaskAsync' instead.",
                      DeprecationWarning, stacklevel=2)
        return self.runTaskAsync(script, *args, **kwargs)

    def startLoop(self) -> None:
        """Starts `self.loop`, an asyncio event loop on a daemon thread (`self.thread`), for
        `asyncio.run_coroutine_threadsafe(pool.run(...), pool.loop)`. runTaskAsync does not
        need it. shutDown stops it."""
        if self.loop is not None:
            raise RuntimeError("Event loop is already started!")
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="DBConnectionPool loop", daemon=True)
        self.thread.start()

    async def stopLoop(self) -> None:
        """Stops the loop of startLoop; awaited on that loop. shutDown then closes it."""
        await asyncio.sleep(0.01)
        self.loop.stop()

    def _close_loop(self, timeout: float) -> None:
        """Stops and closes the startLoop() loop once the coroutines on it have finished (the
        pool has handed them its last results), waiting for them up to `timeout` seconds."""
        loop, thread, self.loop, self.thread = self.loop, self.thread, None, None
        if loop is None:
            return

        async def settle_then_stop():
            others = asyncio.all_tasks() - {asyncio.current_task()}
            if others:
                await asyncio.wait(others, timeout=timeout)
            # After the done-callbacks already queued (a finished task hands its result to the
            # run_coroutine_threadsafe future through one): stop() ends the current iteration.
            loop.call_soon(loop.stop)
        if loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(settle_then_stop(), loop)
            except RuntimeError:   # closed meanwhile
                return
        if thread is threading.current_thread():
            return   # shutDown() from a coroutine on that loop: it stops once this one returns
        thread.join(timeout + 1.0)
        if not thread.is_alive():
            loop.close()

    def addTask(self, script, taskId, *args, clearMemory=None, pickleTableToList=None, priority=None,
                parallelism=None, disableDecimal=None, timeout=None, compressMethods=None):
        if not isinstance(taskId, int) or taskId < 0:
            raise RuntimeError(f"<Exception> in run: Invalid identity: {taskId}. Identity must be a non-negative integer.")
        entry = _AddedTask()

        def done(result, exc):
            entry.result, entry.error, entry.done = result, exc, True

        with self.mutex:
            self._added[taskId] = entry
        try:
            entry.handle = self._submit(script, args, done, clearMemory=bool(clearMemory),
                                        pickleTableToList=pickleTableToList, priority=priority,
                                        parallelism=parallelism, disableDecimal=disableDecimal, timeout=timeout,
                                        compressMethods=compressMethods)
        except BaseException:
            with self.mutex:   # refused (a shut-down pool, a bad argument): no entry is left behind
                if self._added.get(taskId) is entry:
                    del self._added[taskId]
            raise

    def _entry(self, taskId, where):
        # No check for shutdown: the results of tasks added before shutDown() stay readable.
        with self.mutex:
            entry = self._added.get(taskId)
        if entry is None:
            suffix = ", the result may be fetched yet." if where == "getData" else "."
            raise RuntimeError(f"<Exception> in {where}: Task [{taskId}] does not exist{suffix}")
        return entry

    def isFinished(self, taskId) -> bool:
        entry = self._entry(taskId, "isFinished")
        if entry.done and entry.error is not None:
            raise _task_error(taskId, entry.error)
        return entry.done

    def getData(self, taskId):
        """The result, erasing the entry. Unlike the official client, asking before the task has
        finished raises instead of silently discarding the result."""
        entry = self._entry(taskId, "getData")
        if not entry.done:
            raise RuntimeError(f"<Exception> in getData: Task [{taskId}] has not finished yet.")
        with self.mutex:
            self._added.pop(taskId, None)
        if entry.error is not None:
            raise _task_error(taskId, entry.error)
        return entry.result

    # -- lifecycle -------------------------------------------------------------------------
    def shutDown(self, timeout: float | None = None) -> None:
        """Graceful and idempotent. From the call on, new tasks are refused with PoolClosedError;
        the tasks accepted before it (addTask, runTaskAsync, run), queued or running, run to
        completion and deliver their results (futures, awaiters, isFinished/getData, which stay
        usable for them). It waits up to `timeout` seconds (default SHUTDOWN_TIMEOUT, 30) for
        them, then fails those still queued and cuts those still running (PoolClosedError), and
        closes every connection. Ctrl-C during the wait cuts them at once, closes the pool and
        raises KeyboardInterrupt. Then the startLoop() loop is stopped, once the coroutines on it
        have finished (within the same `timeout`). Called from a completion callback, it stops
        accepting tasks and returns at once; the drain goes on."""
        if timeout is None:
            timeout = SHUTDOWN_TIMEOUT
        elif isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
            raise ValueError(f"timeout must be a number of seconds >= 0, not {timeout!r}")
        if self._shutdown:
            return
        self._shutdown = True
        deadline = time.monotonic() + timeout
        interrupted = True
        try:
            # Before the loop stops: results of run() awaited on that loop are delivered through it.
            self.pool.shutdown(int(min(timeout, 2**31 / 1000 - 1) * 1000))
            interrupted = False
        finally:
            self._close_loop(0 if interrupted else max(0.0, deadline - time.monotonic()))
            self.host = self.port = None

    close = shutDown

    def is_shutdown(self) -> bool:
        return self._shutdown

    def getSessionId(self):
        return list(self._core().session_ids())

    def stats(self) -> dict:
        """Counters since creation: tasksDone/Failed/Cancelled, resends (requests resent after a
        failure), reconnects (new session, same node), failovers (new session on another node),
        bytesReceived; and now: queued, running, connections, connectionsPerNode {"host:port": n}."""
        return dict(self._core().stats())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutDown()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await asyncio.get_running_loop().run_in_executor(None, self.shutDown)

    def __del__(self):
        """As shutDown(): runTaskAsync futures and run() awaiters hold no reference to the pool,
        so their tasks still complete after the last reference to it is dropped."""
        pool = getattr(self, "pool", None)
        if pool is not None and not getattr(self, "_shutdown", True):
            self._shutdown = True
            pool.shutdown(int(SHUTDOWN_TIMEOUT * 1000))
