"""dolphindb.utils: the official package's public helpers that work without a connection.

`month(year, month)` renders a MONTH literal ("2024-03M"); `get_types_from_schema` turns the
`colDefs` table of `schema(t)` into {column: [type name, decimal scale or None]}.
"""
from __future__ import annotations

from typing import Dict, List

from .settings import TYPE_STRING

__all__ = ["month", "get_types_from_schema"]


class month:
    """A MONTH value for script text: str(month(2024, 3)) == "2024-03M"."""

    def __init__(self, year: int, month: int):
        self._year, self._month = year, month

    def __str__(self):
        return f"{self._year}-{self._month:02d}M"

    def __repr__(self):
        return f"month({self._year}, {self._month})"


def get_types_from_schema(df_schema_info) -> Dict[str, List]:
    """{name: [type name, extra]} from a pandas DataFrame with columns `name`, `typeInt` and,
    optionally, `extra` (the DECIMAL scale; None where the column has none)."""
    import pandas as pd
    has_extra = "extra" in df_schema_info.columns
    types = {}
    for name, type_int, extra in zip(df_schema_info["name"], df_schema_info["typeInt"],
                                     df_schema_info["extra"] if has_extra else [None] * len(df_schema_info)):
        type_name = TYPE_STRING.get(int(type_int))
        if type_name is None:
            raise ValueError(f"Unknown DolphinDB type id {type_int} for column {name!r}.")
        if extra is not None and pd.notna(extra):
            try:
                extra = int(extra)
            except (ValueError, TypeError):
                raise ValueError("Invalid type for 'extra'. Expected an int, but received a value of type "
                                 f"{type(extra)}.") from None
        else:
            extra = None
        types[name] = [type_name, extra]
    return types
