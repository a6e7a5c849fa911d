"""Running scripts in the embedded server's interpreter in-process, and reading BOOL results."""
from __future__ import annotations

import numpy as np

from dolphindb.server.lang import run_script
from dolphindb.server.model.values import Matrix, Vector


def run(ctx, text):
    return run_script(ctx, text)


def bools(v):
    """Elements as booleans; a matrix column by column."""
    if isinstance(v, Matrix):
        return [bool(x) for x in v.data.reshape(-1, order="F")]
    return [bool(x) for x in np.atleast_1d(v.data if isinstance(v, Vector) else v.value)]
