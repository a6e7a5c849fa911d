"""Forms other than vectors and tables: dictionaries, sets, pairs and matrices, and what a value
is (typestr, type, form)."""
from __future__ import annotations

import numpy as np

from ...errors import ScriptError
from ...model.columns import (NUMERIC, RANK, S, V, as_array, column_copy, is_scalar, scalar_storage, to_int,
                              vector_of, writable_data)
from ...model.values import (ANY, BLOB, INT, MATRIX, PAIR, SCALAR, SET, STORAGE_DTYPE, STRING, TABLE, VECTOR, VOID,
                             ArrayVector, Dictionary, Matrix, Scalar, Table, Vector, type_name)
from ..registry import builtin
from .casts import cast
from .tables import append_
from .vectors import distinct, empty_column


@builtin("typestr", 1)
def typestr(ctx, x):
    if isinstance(x, Table):
        return S(STRING, "IN-MEMORY TABLE")
    if isinstance(x, Dictionary):     # key->value: STRING->LONG DICTIONARY
        return S(STRING, f"{type_name(x.keys.type)}->{type_name(x.values.type)} DICTIONARY")
    name = type_name(x.type)
    if isinstance(x, Scalar):
        return S(STRING, name)
    if isinstance(x, Vector) and x.form == PAIR:
        return S(STRING, name + " PAIR")
    if isinstance(x, Vector) and x.form == SET:
        return S(STRING, name + " SET")
    if isinstance(x, Matrix):
        return S(STRING, "FAST " + name + " MATRIX")
    if x.type == ANY:
        return S(STRING, "ANY VECTOR")
    # a regular (contiguous, fixed-width) vector is FAST: every type but the variable-width
    # STRING and BLOB (a SYMBOL vector holds fixed-width indices into its symbol base)
    fast = isinstance(x, ArrayVector) or x.type not in (STRING, BLOB)
    return S(STRING, ("FAST " if fast else "") + name + " VECTOR")


@builtin("type", 1)
def type_(ctx, x):
    return S(INT, 0 if isinstance(x, Table) else x.type)


@builtin("form", 1)
def form(ctx, x):
    return S(INT, {Scalar: SCALAR, Table: TABLE, Dictionary: 5, Matrix: MATRIX}.get(type(x), getattr(x, "form", VECTOR)))


@builtin("dict", 2, 3)
def dict_(ctx, a, b, ordered=None):
    if isinstance(a, Scalar) and a.type == INT and isinstance(b, Scalar) and b.type == INT:
        return Dictionary(empty_column(a.value), empty_column(b.value))
    if is_scalar(a) and is_scalar(b):
        a, b = vector_of([a]), vector_of([b])
    if not isinstance(a, Vector) or not isinstance(b, Vector) or len(a) != len(b):
        raise ScriptError("The keys and values of a dictionary must be vectors of the same length")
    return Dictionary(column_copy(a), column_copy(b))


@builtin("keys", 1)
def keys(ctx, x):
    """The keys of a dictionary, the elements of a set, the column names of a table."""
    if isinstance(x, Dictionary):
        return column_copy(x.keys)
    if isinstance(x, Vector) and x.form == SET:
        return Vector(x.type, x.data.copy(), x.scale)
    if isinstance(x, Table):
        return V(STRING, list(x.columns))
    raise ScriptError("keys applies to a dictionary or a table")


@builtin("values", 1)
def values(ctx, x):
    """The values of a dictionary, the columns of a table (a tuple)."""
    if isinstance(x, Dictionary):
        return column_copy(x.values)
    if isinstance(x, Table):
        return Vector(ANY, list(x.columns.values()))
    raise ScriptError("values applies to a dictionary or a table")


def dict_set(d: Dictionary, key, value):
    keys = list(d.keys.data)
    k = key.value
    if k in keys:
        i = keys.index(k)
        if d.values.type == ANY:
            d.values.data[i] = value
        else:
            writable_data(d.values)[i] = scalar_storage(cast(value, d.values.type))
        return
    append_(None, d.keys, key)
    if d.values.type == ANY:
        d.values.data.append(value)
    else:
        append_(None, d.values, value)


@builtin("set", 1)
def set_(ctx, x):
    d = distinct(ctx, x)
    return Vector(d.type, d.data, d.scale, form=SET)


@builtin("pair", 0, 2)
def pair(ctx, a=None, b=None):
    """pair(a, b); an omitted element (pair(,)) is NULL."""
    return make_pair(S(VOID, None) if a is None else a, S(VOID, None) if b is None else b)


@builtin("matrix", 1, None)
def matrix(ctx, *args):
    if len(args) == 3 and is_scalar(args[0]) and args[0].type == INT:
        return Matrix(args[0].value, np.zeros((to_int(args[1]), to_int(args[2])), dtype=STORAGE_DTYPE[args[0].value]))
    cols = list(args)
    if len(cols) == 1 and isinstance(cols[0], Vector) and cols[0].type == ANY:     # matrix([col1, col2 ...])
        cols = list(cols[0].data)
    if not cols or not all(isinstance(c, Vector) for c in cols) or len({len(c) for c in cols}) != 1:
        raise ScriptError("The columns of a matrix must be vectors of the same length")
    t = cols[0].type
    return Matrix(t, np.column_stack([as_array(c) for c in cols]))


def make_pair(a, b):
    if not (isinstance(a, Scalar) and isinstance(b, Scalar)):
        raise ScriptError("A pair needs two scalars")
    t = a.type if a.type != VOID else b.type
    if a.type != b.type and VOID not in (a.type, b.type):
        if a.type in NUMERIC and b.type in NUMERIC:
            t = max(a.type, b.type, key=lambda x: RANK[x])
    v = vector_of([a, b]) if t != VOID else Vector(VOID, None, length_=2)
    if v.type != t and v.type != ANY:
        v = cast(v, t)
    return Vector(v.type, v.data, v.scale, form=PAIR, length_=v.length_)     # NULL:NULL keeps its 2 rows
