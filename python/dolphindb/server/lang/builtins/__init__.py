"""Built-ins that sit above the interpreter (they run queries or call function values), by theme.
Importing the package registers them; the core library (``lang/library.py``, ``lang/ops.py``)
registers its own when the interpreter imports it."""
from . import dfs, higher_order, joins, tables, textfiles  # noqa: F401  (registration)
