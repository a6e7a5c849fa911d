"""The built-in functions by theme. ``lang/__init__.py`` imports every theme, which registers its
built-ins; the interpreter, SQL and the DFS layer import the building blocks they share (cast,
table appends, array vectors, empty columns) from the themes that don't import the interpreter
(casts, operators, arrays, vectors, tables, forms, session)."""
