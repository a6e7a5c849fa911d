"""rows() and cols() of a matrix count its rows and its columns (not its cells)."""
from __future__ import annotations

import pytest

from dolphindb.server.lang import run_script


@pytest.mark.parametrize("script, expected", [
    ("rows(1..6$2:3)", 2), ("cols(1..6$2:3)", 3),
    ("rows(matrix(date([1, NULL, 3]), date([4, 5, NULL])))", 3), ("cols(matrix(1 2, 3 4))", 2),
    ("rows(1 2 3)", 3), ("rows(table(1..3 as x))", 3),
])
def test_rows_and_cols(ctx, script, expected):
    assert run_script(ctx, script).value == expected
