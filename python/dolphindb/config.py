"""dolphindb.config: the 3.x connection settings, `ConnectionSetting` (how a DBConnection talks)
and `ConnectionConfig` (where and how it connects), with the official field names, defaults and
error texts. Unknown fields are refused. An invalid value raises ValueError (TypeError for a
timeout that is not a datetime.timedelta), as pydantic's ValidationError does in the official
client, without depending on pydantic.
"""
from __future__ import annotations

import dataclasses
import datetime
from typing import List, Optional, Union

from .settings import (PROTOCOL_ARROW, PROTOCOL_DDB, PROTOCOL_DEFAULT, PROTOCOL_PICKLE, ParserType, SqlStd)

__all__ = ["ConnectionSetting", "ConnectionConfig", "organize_config"]

_PROTOCOLS = {"default": PROTOCOL_DEFAULT, "pickle": PROTOCOL_PICKLE, "ddb": PROTOCOL_DDB, "arrow": PROTOCOL_ARROW}
_SQL_STDS = {"ddb": SqlStd.DolphinDB, "mysql": SqlStd.MySQL, "oracle": SqlStd.Oracle}


def _check_bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name}: Input should be a valid boolean, not {value!r}")
    return value


class _Config:
    """Keyword-only construction (with the official aliases), unknown and missing fields
    refused, every field validated by the subclass's __post_init__."""

    _ALIASES: dict = {}

    def __init__(self, **kwargs):
        for f in dataclasses.fields(self):
            given = [k for k in (f.name, *[a for a, n in self._ALIASES.items() if n == f.name]) if k in kwargs]
            if len(given) > 1:
                raise ValueError(f"{type(self).__name__}: {f.name} is given twice ({' and '.join(given)})")
            if given:
                value = kwargs.pop(given[0])
            elif f.default is not dataclasses.MISSING:
                value = f.default
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            else:
                raise ValueError(f"{type(self).__name__}: the field {f.name!r} is required")
            setattr(self, f.name, value)
        if kwargs:
            raise ValueError(f"{type(self).__name__}: unknown field(s) {sorted(kwargs)} (extra fields are not permitted)")
        self.__post_init__()

    @classmethod
    def _from_kwargs(cls, kwargs: dict):
        return cls(**kwargs)

    def __post_init__(self):
        pass

    def model_copy(self, update: Optional[dict] = None):
        return type(self)(**{**dataclasses.asdict(self), **(update or {})})

    def model_dump(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(init=False)
class ConnectionSetting(_Config):
    enable_ssl: bool = False
    enable_async: bool = False
    compress: bool = False
    parser: Union[ParserType, str, int] = ParserType.Default
    protocol: Union[int, str] = PROTOCOL_DEFAULT
    show_output: bool = True
    sql_std: Union[SqlStd, str, int] = SqlStd.DolphinDB

    def __post_init__(self):
        for name in ("enable_ssl", "enable_async", "compress", "show_output"):
            _check_bool(name, getattr(self, name))
        if isinstance(self.protocol, str):
            self.protocol = _PROTOCOLS.get(self.protocol.lower(), PROTOCOL_DEFAULT)
        if isinstance(self.protocol, bool) or self.protocol not in _PROTOCOLS.values():
            raise ValueError(f"Protocol {self.protocol} is not supported. ")
        if self.protocol == PROTOCOL_ARROW and self.compress:
            raise ValueError("The Arrow protocol does not support compression.")
        if isinstance(self.parser, str):
            self.parser = ParserType.parse_from_str(self.parser.lower())
        elif isinstance(self.parser, int) and not isinstance(self.parser, bool):
            self.parser = ParserType(self.parser)
        elif not isinstance(self.parser, ParserType):
            raise ValueError(f"parser: {self.parser!r} is not a ParserType, 'dolphindb', 'python' or 'kdb'")
        if isinstance(self.sql_std, str):
            self.sql_std = _SQL_STDS.get(self.sql_std.lower(), SqlStd.DolphinDB)
        elif isinstance(self.sql_std, int) and not isinstance(self.sql_std, bool):
            self.sql_std = SqlStd(self.sql_std)
        elif not isinstance(self.sql_std, SqlStd):
            raise ValueError(f"sql_std: {self.sql_std!r} is not a SqlStd, 'ddb', 'mysql' or 'oracle'")


def _duration(name: str, value) -> Optional[datetime.timedelta]:
    if value is None:
        return None
    if not isinstance(value, datetime.timedelta):
        raise TypeError(f"The parameter '{name}' must be datetime.timedelta.")
    if value.total_seconds() < 0:
        raise ValueError(f"The parameter '{name}' must be non-negative.")
    return None if value == datetime.timedelta(0) else value


@dataclasses.dataclass(init=False)
class ConnectionConfig(_Config):
    """`timeout` (alias `read_timeout`, seconds) bounds each reply; `net_timeout` (alias
    `write_timeout`, seconds) bounds connecting and sending. -1 / None / 0: no limit."""

    host: str
    port: int
    userid: str = ""
    password: str = ""
    startup: str = ""
    enable_high_availability: bool = False
    high_availability_sites: Optional[List[str]] = dataclasses.field(default_factory=list)
    keep_alive_time: int = -1
    reconnect: bool = False
    try_reconnect_nums: Optional[int] = -1
    net_timeout: Optional[datetime.timedelta] = None
    timeout: Optional[datetime.timedelta] = None
    read_timeout: Optional[float] = -1
    write_timeout: Optional[float] = -1
    use_public_name: bool = False

    _ALIASES = {"userId": "userid"}

    def __post_init__(self):
        if not isinstance(self.host, str):
            raise ValueError(f"host: Input should be a valid string, not {self.host!r}")
        if not isinstance(self.port, int) or isinstance(self.port, bool):
            raise ValueError(f"port: Input should be a valid integer, not {self.port!r}")
        for name in ("userid", "password", "startup"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name}: Input should be a valid string")
        for name in ("enable_high_availability", "reconnect", "use_public_name"):
            _check_bool(name, getattr(self, name))
        if self.high_availability_sites is None:
            self.high_availability_sites = []
        if isinstance(self.high_availability_sites, str) or \
                not all(isinstance(s, str) for s in self.high_availability_sites):
            raise ValueError("high_availability_sites: Input should be a list of 'host:port' strings")
        self.high_availability_sites = list(self.high_availability_sites)
        if self.try_reconnect_nums is None:
            self.try_reconnect_nums = -1
        self.timeout = _duration("timeout", self.timeout)
        self.net_timeout = _duration("net_timeout", self.net_timeout)
        self.read_timeout = -1 if self.read_timeout is None else self.read_timeout
        self.write_timeout = -1 if self.write_timeout is None else self.write_timeout
        # The legacy seconds fields and the timedelta fields describe the same limits.
        if self.timeout is not None:
            self.read_timeout = self.timeout.total_seconds()
        elif self.read_timeout > 0:
            self.timeout = datetime.timedelta(seconds=self.read_timeout)
        candidates = [d for d in (self.net_timeout, datetime.timedelta(seconds=self.write_timeout)
                                  if self.write_timeout > 0 else None) if d is not None]
        if candidates:
            self.net_timeout = min(candidates)
            self.write_timeout = self.net_timeout.total_seconds()


def organize_config(config_type: type, config, kwargs: dict):
    """A `config_type` from None, a dict or an instance, updated by keyword arguments."""
    if config is None:
        return config_type._from_kwargs(kwargs)
    if isinstance(config, dict):
        return config_type._from_kwargs({**config, **kwargs})
    if isinstance(config, config_type):
        return config.model_copy(kwargs)
    raise TypeError(f"config should be None, dict or {config_type.__name__} instance")
