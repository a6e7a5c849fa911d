"""The built-ins by theme, outside the interpreter's core: importing the package registers them.
The core library the interpreter itself needs (``lang/library.py``: tables, array vectors,
vectors, forms; ``lang/ops.py``: operators and casts) registers its own when imported."""
from . import aggregates, dfs, higher_order, joins, strings, tables, temporal, textfiles  # noqa: F401  (registration)
