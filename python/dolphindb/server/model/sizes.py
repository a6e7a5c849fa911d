"""How big and how deep a value is, and the limits on both.

* `value_nbytes` estimates what a value holds in memory (numpy buffers, text bytes), cheaply:
  text columns are measured on a sample. It bounds a session's values (`check_value_size`,
  maxMemSize-style) and the bytes the exactly-once log keeps.
* `check_nesting` refuses a result nested deeper than the encoder (and the clients' decoders)
  will go, so the request gets an error reply instead of a dropped connection.
"""
from __future__ import annotations

from ..errors import ScriptError
from .values import ArrayVector, Dictionary, Matrix, Scalar, Table, Vector

MAX_RESULT_DEPTH = 100         # nesting levels of ANY vectors / dictionaries / tables in a reply
_TEXT_SAMPLE = 256


def value_nbytes(value, _depth: int = 0) -> int:
    """Approximate bytes held by a value (text measured on a sample of its elements)."""
    if _depth > MAX_RESULT_DEPTH:
        return 0
    if isinstance(value, Scalar):
        v = value.value
        return 16 + (len(v) if isinstance(v, (str, bytes)) else 0)
    if isinstance(value, Vector):
        return 16 + _array_nbytes(value.data, _depth)
    if isinstance(value, ArrayVector):
        return 16 + value.offsets.nbytes + _array_nbytes(value.values.data, _depth)
    if isinstance(value, Matrix):
        return 16 + _array_nbytes(value.data, _depth)
    if isinstance(value, Dictionary):
        return value_nbytes(value.keys, _depth + 1) + value_nbytes(value.values, _depth + 1)
    if isinstance(value, Table):
        return 16 + sum(value_nbytes(c, _depth + 1) for c in value.columns.values())
    return 16


def _array_nbytes(data, depth: int) -> int:
    if data is None:
        return 0
    if isinstance(data, list):             # an ANY vector: its items
        return sum(value_nbytes(v, depth + 1) for v in data)
    if data.dtype != object:
        return int(data.nbytes)
    n = data.size
    if n == 0:
        return 0
    step = max(1, n // _TEXT_SAMPLE)
    sample = data.reshape(-1)[::step][:_TEXT_SAMPLE]
    per = sum(len(x) if isinstance(x, (str, bytes)) else value_nbytes(x, depth + 1) if hasattr(x, "form") else 8
              for x in sample) / len(sample)
    return int(n * (per + 8))


def check_value_size(value, limit: int) -> None:
    """Refuses a value larger than `limit` bytes (the session memory limit)."""
    if limit and value is not None and value_nbytes(value) > limit:
        raise ScriptError(f"Out of memory: a value of {value_nbytes(value) >> 20} MB exceeds the "
                          f"session memory limit of {limit >> 20} MB (maxMemSize).")


def check_nesting(value, limit: int = MAX_RESULT_DEPTH) -> None:
    """Refuses a value nested more than `limit` levels deep (iteratively: no recursion)."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > limit:
            raise ScriptError(f"The result is nested more than {limit} levels deep and can't be serialized.")
        if isinstance(v, Vector) and isinstance(v.data, list):
            stack.extend((x, depth + 1) for x in v.data if not isinstance(x, Scalar))
        elif isinstance(v, Dictionary):
            stack.append((v.values, depth + 1))
        elif isinstance(v, Table):
            stack.extend((c, depth + 1) for c in v.columns.values() if isinstance(getattr(c, "data", None), list))
