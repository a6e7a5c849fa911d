"""dolphindb.DBConnection: the 3.x connection class. A Session built from a ConnectionSetting,
connected from a ConnectionConfig, with snake_case keywords (`run(..., fetch_size=...)`)."""
from __future__ import annotations

from .config import ConnectionConfig, ConnectionSetting, organize_config
from .session import BlockReader, Session

__all__ = ["DBConnection", "BlockReader"]

_RUN_KEYWORDS = {"clear_memory": "clearMemory", "table_to_list": "pickleTableToList", "fetch_size": "fetchSize",
                 "disable_decimal": "disableDecimal", "compress_methods": "compressMethods"}


class _ConnectionType(type):
    """Every Session is a DBConnection, as in the official class hierarchy (helpers that take "a
    DBConnection" check isinstance)."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Session) if cls is DBConnection else super().__instancecheck__(obj)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, Session) if cls is DBConnection else super().__subclasscheck__(sub)


class DBConnection(Session, metaclass=_ConnectionType):
    def __init__(self, /, config=None, **kwargs):
        """`config`: a ConnectionSetting or a dict of its fields; keyword arguments override it."""
        setting = organize_config(ConnectionSetting, config, kwargs)
        super().__init__(enableSSL=setting.enable_ssl, enableASYNC=setting.enable_async, compress=setting.compress,
                         protocol=setting.protocol, show_output=setting.show_output, sqlStd=setting.sql_std,
                         parser=setting.parser)
        self.setting = setting

    def connect(self, host=None, port=None, userid=None, password=None, *, config=None, **kwargs) -> bool:
        """`config`: a ConnectionConfig or a dict of its fields; the other arguments override it."""
        given = {"host": host, "port": port, "userid": userid, "password": password}
        kwargs.update({k: v for k, v in given.items() if v is not None})
        c = organize_config(ConnectionConfig, config, kwargs)
        return super().connect(c.host, c.port, c.userid, c.password, startup=c.startup or None,
                               highAvailability=c.enable_high_availability,
                               highAvailabilitySites=c.high_availability_sites,
                               keepAliveTime=None if c.keep_alive_time < 0 else c.keep_alive_time,
                               reconnect=c.reconnect, tryReconnectNums=c.try_reconnect_nums,
                               netTimeout=c.net_timeout, timeout=c.timeout, usePublicName=c.use_public_name)

    def run(self, script, *args, **kwargs):
        """Session.run with the snake_case keywords of exec/call (the camelCase ones still work)."""
        return super().run(script, *args, **{_RUN_KEYWORDS.get(k, k): v for k, v in kwargs.items()})

    def login(self, userid, password, enable_encryption=True) -> bool:
        return super().login(userid, password, enable_encryption)

    @property
    def is_closed(self) -> bool:
        return self.isClosed()

    @property
    def is_busy(self) -> bool:
        """True while another thread's request holds this connection."""
        return self._core.busy()

    @property
    def is_alive(self) -> bool:
        """True when the server answers now (one round trip)."""
        if self._closed or not self._core.is_open():
            return False
        try:
            super().run("version()")
        except RuntimeError:
            return False
        return True
