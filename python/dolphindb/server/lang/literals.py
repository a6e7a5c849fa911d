"""Temporal and numeric literals (2024.01.02, 2024.01M, 12:30:00.123, 2024.01.02T12:30:00 ...)."""
from __future__ import annotations

import re

from ..model.values import DATE, DATEHOUR, DATETIME, MINUTE, MONTH, NANOTIME, NANOTIMESTAMP, SECOND, TIME, TIMESTAMP
from ..model.columns import days_from_date

TEMPORAL_PATTERNS = [   # a date and a time are joined by T or by one space (2024.01.01 01:00:00)
    (re.compile(r"(\d{4})\.(\d{2})\.(\d{2})[T ](\d{2}):(\d{2}):(\d{2})\.(\d{1,9})"), "dt_frac"),
    (re.compile(r"(\d{4})\.(\d{2})\.(\d{2})[T ](\d{2}):(\d{2}):(\d{2})"), "datetime"),
    (re.compile(r"(\d{4})\.(\d{2})\.(\d{2})T(\d{2})(?:h|(?![\d:.]))"), "datehour"),   # 2012.06.13T13
    (re.compile(r"(\d{4})\.(\d{2})\.(\d{2})"), "date"),
    (re.compile(r"(\d{4})\.(\d{2})M"), "month"),
    (re.compile(r"(\d{2}):(\d{2}):(\d{2})\.(\d{1,9})"), "time_frac"),
    (re.compile(r"(\d{2}):(\d{2}):(\d{2})"), "second"),
    (re.compile(r"(\d{2}):(\d{2})m"), "minute"),
]


def match_temporal(text: str, pos: int = 0):
    """(type, raw value, end) of a temporal literal starting at pos, or None."""
    for pattern, kind in TEMPORAL_PATTERNS:
        m = pattern.match(text, pos)
        if not m:
            continue
        g = [int(x) if x.isdigit() else x for x in m.groups()]
        try:
            if kind in ("dt_frac", "datetime", "datehour", "date"):
                days = days_from_date(g[0], g[1], g[2])
        except ValueError:
            return None
        if kind == "date":
            return DATE, days, m.end()
        if kind == "month":
            return MONTH, g[0] * 12 + g[1] - 1, m.end()
        if kind == "datehour":
            return (DATEHOUR, days * 24 + g[3], m.end()) if g[3] < 24 else None
        if kind == "datetime":
            return DATETIME, days * 86400 + g[3] * 3600 + g[4] * 60 + g[5], m.end()
        if kind == "dt_frac":
            frac = m.group(7)
            secs = days * 86400 + g[3] * 3600 + g[4] * 60 + g[5]
            if len(frac) <= 3:
                return TIMESTAMP, secs * 1000 + int(frac.ljust(3, "0")), m.end()
            return NANOTIMESTAMP, secs * 10**9 + int(frac.ljust(9, "0")), m.end()
        if kind == "time_frac":
            frac = m.group(4)
            secs = g[0] * 3600 + g[1] * 60 + g[2]
            if len(frac) <= 3:
                return TIME, secs * 1000 + int(frac.ljust(3, "0")), m.end()
            return NANOTIME, secs * 10**9 + int(frac.ljust(9, "0")), m.end()
        if kind == "second":
            return SECOND, g[0] * 3600 + g[1] * 60 + g[2], m.end()
        if kind == "minute":
            return MINUTE, g[0] * 60 + g[1], m.end()
    return None
