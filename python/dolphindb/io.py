"""dumps/loads of single DolphinDB objects (flag word + body), through the C++ codec."""
import warnings

from ._core import ConversionError
from ._core import dumps as _dumps
from ._core import loads as _loads


def dumps(obj, *, types=None) -> bytes:
    """`types`: for a DataFrame, a dict of column -> DT code, [DT, scale] or type name (the same
    forced types as `df.__DolphinDB_Type__`)."""
    if types is not None:
        import pandas as pd
        if not (isinstance(obj, pd.DataFrame) and isinstance(types, dict)):
            raise ConversionError("types= is supported for DataFrames, as a dict of column name -> type")
        forced = dict(getattr(obj, "__DolphinDB_Type__", None) or {})
        forced.update(types)
        obj = obj.copy(deep=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # pandas warns about setting an attribute
            obj.__DolphinDB_Type__ = forced
    return _dumps(obj)


def loads(data):
    return _loads(bytes(data))


def dump(obj, file, *, types=None) -> None:
    file.write(dumps(obj, types=types))


def load(file):
    return loads(file.read())
