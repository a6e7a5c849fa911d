"""Values given a type they are converted into (``types=`` of dolphindb.io.dumps, as the official
SDK's serialize suite gives them): decimal text, floats and integers forced to DECIMAL, integer
arrays forced to temporal types, +-inf in object arrays forced to FLOAT / DOUBLE.

The official client serializes each case in its own venv and has our server decode its bytes
(`readObject` of a file written with them); our dumps must give the same bytes, and our server
the same value back. Cases where we deliberately refuse what the official client sends as a
silently wrong value are checked for both sides' behaviour."""
from __future__ import annotations

import os
import pickle
import subprocess

import numpy as np
import pytest
from dolphindb import io
from dolphindb.exceptions import ConversionError

from support.official import official_python

PRELUDE = """
import numpy as np
from decimal import Decimal
import dolphindb.settings as keys
D32, D64, D128 = keys.DT_DECIMAL32, keys.DT_DECIMAL64, keys.DT_DECIMAL128
inf = float('inf')
"""

# name -> (expression, types expression)
CASES = {
    # decimal text: scaled, extra places rounded half away from zero; '', NaN and Inf are NULL
    "str_d32": ("'3.14'", "[D32, 3]"),
    "str_d64_round": ("'3.14159'", "[D64, 3]"),
    "str_d128": ("'-0.0005'", "[D128, 3]"),
    "np_str_d32": ("np.str_(' +2.5 ')", "[D32, 0]"),
    "bytes_d64": ("b'-12.345'", "[D64, 2]"),
    "np_bytes_d32": ("np.bytes_(b'.5')", "[D32, 3]"),
    "str_list_d32": ("['3.14', '3.14159', 'nan', 'inf', np.str_('0.0015'), '', None]", "[D32, 3]"),
    "str_list_d128_long": ("['1.23456789012345678901234567890123', '-7']", "[D128, 30]"),
    "str_array_d64": ("np.array(['3.14', '0.0005', '-0.0005', 'NaN'])", "[D64, 3]"),
    "bytes_array_d32": ("np.array([b'1.5', b'-2.25'], dtype='S')", "[D32, 1]"),
    "str_dict_value_d32": ("{'a': np.str_('3.14159'), 'b': '-1'}", "[None, [D32, 3]]"),
    "bytes_dict_value_d128": ("{'a': b'3.14'}", "[None, [D128, 3]]"),
    "str_array_vector_d32": ("[['3.14', '2.5'], ['-0.005', 'nan']]", "[keys.DT_DECIMAL32_ARRAY, 2]"),
    # floats: x * 10^scale truncated toward zero (DECIMAL32/64: the double product)
    "float_list_d32": ("[3.14159, -3.14159, 0.29, -4.35, 1.0005, float('nan'), inf, None]", "[D32, 3]"),
    "float_list_d64_product": ("[0.57, -0.57, 1.15, 2.675]", "[D64, 2]"),
    "float_array_d64": ("np.array([3.14159, -9.9999, 123456.7891, np.nan, np.inf])", "[D64, 3]"),
    "float32_array_d32": ("np.array([3.14159, 0.29, -0.29, np.nan], dtype=np.float32)", "[D32, 3]"),
    "float_scalar_d64": ("-2.675", "[D64, 2]"),
    "np_float32_scalar_d32": ("np.float32(0.29)", "[D32, 3]"),
    "float_list_d128_short": ("[3.14159, -3.14159, 0.5, 1e20]", "[D128, 3]"),
    "float_list_d128_exact": ("[0.57, 8.2, 21474836.47]", "[D128, 1]"),
    "float_array_vector_d64": ("[[3.14159, 0.57], [1, 2], np.array([1.5, np.inf])]", "[keys.DT_DECIMAL64_ARRAY, 2]"),
    # integer arrays forced to temporal types: counts of the type's unit
    "int8_date": ("np.array([1, 0, -128, 127], dtype=np.int8)", "keys.DT_DATE"),
    "int16_month": ("np.array([1, 0, -32768, 24000], dtype=np.int16)", "keys.DT_MONTH"),
    "int32_datetime": ("np.array([1, 0, -2147483648, 2147483647], dtype=np.int32)", "keys.DT_DATETIME"),
    "int32_nanotimestamp": ("np.array([1, -2147483648], dtype=np.int32)", "keys.DT_NANOTIMESTAMP"),
    "int64_date_null": ("np.array([1, -9223372036854775808], dtype=np.int64)", "keys.DT_DATE"),
    "int64_timestamp": ("np.array([1, 1700000000000, -9223372036854775808], dtype=np.int64)", "keys.DT_TIMESTAMP"),
    "uint8_time": ("np.array([0, 255], dtype=np.uint8)", "keys.DT_TIME"),
    "uint16_minute": ("np.array([1, 65535], dtype=np.uint16)", "keys.DT_MINUTE"),
    "uint32_second": ("np.array([3600, 86399], dtype=np.uint32)", "keys.DT_SECOND"),
    "uint64_nanotime": ("np.array([1, 86399999999999], dtype=np.uint64)", "keys.DT_NANOTIME"),
    "int8_datehour": ("np.array([1, -1], dtype=np.int8)", "keys.DT_DATEHOUR"),
    # +-inf in object arrays stays +-inf; in lists and typed arrays it is NULL
    "object_floats_double": ("np.array([3.14, inf, -inf, float('nan'), None], dtype=object)", "keys.DT_DOUBLE"),
    "object_floats_float": ("np.array([np.float32(3.14), np.float32('inf'), -inf, None], dtype=object)",
                            "keys.DT_FLOAT"),
    "object_floats_unforced": ("np.array([1.5, inf, None], dtype=object)", "None"),
    "list_floats_double": ("[3.14, inf, -inf, None]", "keys.DT_DOUBLE"),
    "typed_floats_double": ("np.array([3.14, np.inf], dtype=np.float32)", "keys.DT_DOUBLE"),
}

# Text the official client reads up to its first odd character (or sends as NULL): we refuse it,
# naming the value, rather than send a value the text does not say.
REFUSED_TEXT = {   # name -> (expression, types, what our error names, what the official client sends)
    "invalid_str_d32": ("'test'", "[D32, 3]", "'test'", "None"),
    "invalid_np_bytes_d32": ("np.bytes_(b'test')", "[D32, 3]", "'test'", "None"),
    "exponent_str_d64": ("'1e2'", "[D64, 2]", "'1e2'", "Decimal('1.00')"),
    "separator_list_d64": ("['1', '1,000']", "[D64, 2]", "'1,000' (row 1)",
                           "np.array([Decimal('1.00'), Decimal('1.00')], dtype=object)"),
}

# Integer counts a 4-byte temporal type cannot hold: the official client wraps them around.
REFUSED_COUNTS = {   # name -> (expression, types, what our error names, what the official client sends)
    "int64_date_wraps": ("np.array([1, 9223372036854775807], dtype=np.int64)", "keys.DT_DATE",
                         "9223372036854775807 (row 1)", "np.array(['1970-01-02', '1969-12-31'], dtype='datetime64[D]')"),
    "uint64_second_wraps": ("np.array([18446744073709551615], dtype=np.uint64)", "keys.DT_SECOND",
                            "18446744073709551615 (row 0)", "np.array(['1969-12-31T23:59:59'], dtype='datetime64[s]')"),
}

OFFICIAL_RUNNER = """
import pickle, sys
import numpy as np
import dolphindb as ddb
import dolphindb.io as io
cases, prelude, port, out_path = pickle.load(open(sys.argv[1], 'rb'))
exec(prelude)
s = ddb.Session()
s.connect('127.0.0.1', port, 'admin', '123456')
out = {}
for name, (expr, types) in cases.items():
    try:
        data = io.dumps(eval(expr), types=eval(types))
    except Exception as e:
        out[name] = ('error', type(e).__name__, str(e))
        continue
    s.upload({'blob_bytes': np.frombuffer(data, dtype=np.int8).copy()})
    path = f'forced_types_parity_{name}.bin'   # in the server's file directory
    decoded = s.run(f'f = file("{path}", "w+"); f.writeBytes(blob_bytes); f.close(); readObject("{path}")')
    out[name] = ('ok', data, decoded)
s.close()
pickle.dump(out, open(out_path, 'wb'))
"""


def _evaluate(expr, types):
    ns = {}
    exec(PRELUDE, ns)
    return eval(expr, ns), eval(types, ns)


@pytest.fixture(scope="module")
def official_results(server, tmp_path_factory):
    work = tmp_path_factory.mktemp("forced")
    cases = {name: case[:2] for name, case in {**CASES, **REFUSED_TEXT, **REFUSED_COUNTS}.items()}
    args = work / "args.pickle"
    out = work / "out.pickle"
    with open(args, "wb") as f:
        pickle.dump((cases, PRELUDE, server.port, str(out)), f)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([official_python(), "-c", OFFICIAL_RUNNER, str(args)], env=env, capture_output=True,
                          text=True, timeout=300, cwd="/")
    assert proc.returncode == 0, proc.stderr
    with open(out, "rb") as f:
        return pickle.load(f)


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and all(
            _same(x, y) for x, y in zip(a.tolist(), b.tolist()))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("name", sorted(CASES))
def test_forced_values_give_the_official_bytes(name, official_results):
    status, official_bytes, official_decoded = official_results[name]
    assert status == "ok", official_results[name]
    obj, types = _evaluate(*CASES[name])
    ours = io.dumps(obj, types=types)
    assert ours == official_bytes, (io.loads(ours), io.loads(official_bytes))
    # our server reads the bytes back as the value the official client's own loads gives
    assert _same(official_decoded, io.loads(official_bytes)), (official_decoded, io.loads(official_bytes))


@pytest.mark.parametrize("name,refused,error", [(n, REFUSED_TEXT, "is not a decimal number") for n in sorted(REFUSED_TEXT)] +
                         [(n, REFUSED_COUNTS, "is out of the range of") for n in sorted(REFUSED_COUNTS)])
def test_values_the_official_client_changes_silently_are_refused(name, refused, error, official_results):
    expr, types, named, official_sends = refused[name]
    status, official_bytes, _ = official_results[name]
    assert status == "ok", official_results[name]
    obj, forced = _evaluate(expr, types)
    official_value, _ = _evaluate(official_sends, "None")
    assert _same(io.loads(official_bytes), official_value), io.loads(official_bytes)
    with pytest.raises(ConversionError, match=error) as err:
        io.dumps(obj, types=forced)
    assert named in str(err.value)
