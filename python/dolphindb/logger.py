"""dolphindb.logger: the official client's log API (Level, LogMessage, Sink, Logger,
default_logger) over the standard `logging` logger named "dolphindb".

Everything the client reports (connection failures, one line per failed reconnect attempt,
resends, failovers) goes to `logging.getLogger("dolphindb")`. `default_logger` adds, like the
official client, a stdout sink: errors and warnings printed to the current `sys.stdout` as
`<date time>: [<thread id>] Error: <message>`. `default_logger.disable_stdout_sink()` turns it
off (e.g. when the application routes the "dolphindb" logger through its own handlers);
`add_sink` receives every message at or above `min_level` as a `LogMessage`.
"""
from __future__ import annotations

import datetime
import enum
import logging
import sys
import threading
from typing import List

__all__ = ["Level", "LogMessage", "Sink", "Logger", "default_logger"]


class Level(enum.Enum):
    DEBUG = 1
    INFO = 2
    WARNING = 3
    ERROR = 4


_TO_LOGGING = {Level.DEBUG: logging.DEBUG, Level.INFO: logging.INFO, Level.WARNING: logging.WARNING,
               Level.ERROR: logging.ERROR}


def _level_of(record: logging.LogRecord) -> Level:
    for level in (Level.ERROR, Level.WARNING, Level.INFO):
        if record.levelno >= _TO_LOGGING[level]:
            return level
    return Level.DEBUG


class LogMessage:
    """One message handed to a Sink: `level` (a Level) and `log` (the text)."""

    __slots__ = ("level", "log")

    def __init__(self, level: Level, log: str):
        self.level, self.log = level, log

    def __repr__(self):
        return f"LogMessage({self.level}, {self.log!r})"


class Sink:
    """Subclass and override `handle(msg: LogMessage)` (and `flush()`); add with Logger.add_sink."""

    def __init__(self, name: str):
        if not isinstance(name, str):
            raise TypeError("a Sink's name must be a str")
        self.name = name

    def handle(self, msg: LogMessage) -> None:
        raise NotImplementedError("Sink subclasses implement handle(msg)")

    def flush(self) -> None:
        pass


class _SinkHandler(logging.Handler):
    def __init__(self, sink: Sink):
        super().__init__()
        self.sink = sink

    def emit(self, record):
        try:
            self.sink.handle(LogMessage(_level_of(record), record.getMessage()))
        except Exception:
            self.handleError(record)

    def flush(self):
        self.sink.flush()


class _OfficialFormatter(logging.Formatter):
    def format(self, record):
        when = datetime.datetime.fromtimestamp(record.created).strftime("%Y-%m-%d %H:%M:%S.%f")
        kind = {Level.ERROR: "Error", Level.WARNING: "Warning", Level.INFO: "Info"}.get(_level_of(record), "Debug")
        return f"{when}: [{record.thread}] {kind}: {record.getMessage()}"


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is when a message is emitted (redirections and pytest's
    capture included), not to the stream at creation."""

    def __init__(self):
        super().__init__()
        self.setFormatter(_OfficialFormatter())

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):
        pass


class Logger:
    """The official Logger's methods over one `logging.Logger`."""

    def __init__(self, logger: logging.Logger, min_level: Level = Level.WARNING):
        self._logger = logger
        self._lock = threading.Lock()
        self._sinks: dict = {}
        self._stdout = None
        self._file = None
        self.min_level = min_level

    @property
    def min_level(self) -> Level:
        return self._min_level

    @min_level.setter
    def min_level(self, level: Level) -> None:
        if not isinstance(level, Level):
            raise TypeError("min_level must be a dolphindb.logger.Level")
        self._min_level = level
        with self._lock:
            for handler in self._handlers():
                handler.setLevel(_TO_LOGGING[level])
        if self._logger.getEffectiveLevel() > _TO_LOGGING[level]:
            self._logger.setLevel(_TO_LOGGING[level])

    def _handlers(self) -> list:
        return [h for h in (self._stdout, self._file, *self._sinks.values()) if h is not None]

    def _attach(self, handler: logging.Handler) -> logging.Handler:
        handler.setLevel(_TO_LOGGING[self._min_level])
        # The client's own messages only: the embedded server's ("dolphindb.server") propagate here too.
        handler.addFilter(lambda record: record.name == self._logger.name)
        self._logger.addHandler(handler)
        return handler

    def _detach(self, handler) -> None:
        if handler is not None:
            self._logger.removeHandler(handler)
            handler.close()

    def enable_stdout_sink(self) -> None:
        with self._lock:
            if self._stdout is None:
                self._stdout = self._attach(_StdoutHandler())

    def disable_stdout_sink(self) -> None:
        with self._lock:
            self._detach(self._stdout)
            self._stdout = None

    def enable_file_sink(self, path: str) -> None:
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(_OfficialFormatter())
        with self._lock:
            self._detach(self._file)
            self._file = self._attach(handler)

    def disable_file_sink(self) -> None:
        with self._lock:
            self._detach(self._file)
            self._file = None

    def add_sink(self, sink: Sink) -> None:
        if not isinstance(sink, Sink):
            raise TypeError("add_sink expects a dolphindb.logger.Sink")
        with self._lock:
            self._detach(self._sinks.pop(sink.name, None))
            self._sinks[sink.name] = self._attach(_SinkHandler(sink))

    def remove_sink(self, name: str) -> None:
        with self._lock:
            handler = self._sinks.pop(name, None)
            if handler is None:
                raise ValueError(f"no sink named {name!r}")
            self._detach(handler)

    def list_sinks(self) -> List[Sink]:
        with self._lock:
            return [h.sink for h in self._sinks.values()]


default_logger = Logger(logging.getLogger("dolphindb"))
default_logger.enable_stdout_sink()
