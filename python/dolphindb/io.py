"""dumps/loads of single DolphinDB objects (flag word + body), through the C++ codec."""
from ._core import dumps as _dumps
from ._core import loads as _loads


def dumps(obj, *, types=None) -> bytes:
    if types is not None:
        raise NotImplementedError("forcing types through `types=` is not supported yet")
    return _dumps(obj)


def loads(data):
    return _loads(bytes(data))


def dump(obj, file, *, types=None) -> None:
    file.write(dumps(obj, types=types))


def load(file):
    return loads(file.read())
