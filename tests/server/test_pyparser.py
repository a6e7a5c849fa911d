"""python=True (request flag 2048): the embedded server runs Python syntax on its DolphinDB
interpreter. Every case is a Python script and the DolphinDB script it must equal: in-process
the two results encode to the same bytes; over the network our client (python=True, Session
and pool) and the official client 3.0.6.1 (python=True, own venv) read equal objects."""
from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

import dolphindb as ddb
import dolphindb.settings as keys
from dolphindb.server.wire import codec
from dolphindb.server.lang import ScriptError, SessionContext, run_script

from support.stub_server import StubServer

CASES = [  # (Python syntax, the DolphinDB script with the same result)
    # literals
    ("42", "42"), ("3000000000", "3000000000"), ("-5", "-5"), ("1.5", "1.5"), ("'héllo'", "'héllo'"),
    ("True", "true"), ("False", "false"), ("None", "NULL"),
    # lists, tuples, dicts
    ("[1, 2, 3]", "[1, 2, 3]"), ("[1.5, 2]", "[1.5, 2]"), ("['a', 'b']", '["a", "b"]'), ("[]", "[]"),
    ("(1, 'x', 2.5)", '(1, "x", 2.5)'), ("{'a': 1, 'b': 2}", 'dict(["a", "b"], [1, 2])'),
    ("{1: 'x', 2: 'y'}", 'dict([1, 2], ["x", "y"])'),
    # arithmetic (`/` is true division, `//` floor division, as in Python)
    ("1 + 2 * 3", "1 + 2 * 3"), ("(1 + 2) * 3", "(1 + 2) * 3"), ("7 / 2", "7 \\ 2"), ("7 // 2", "7 / 2"),
    ("-7 // 2", "-7 / 2"), ("7.5 // 2", "floor(7.5 / 2)"), ("-7 % 3", "-7 % 3"), ("2 ** 10", "pow(2, 10)"),
    ("[1, 2, 3] * 2", "[1, 2, 3] * 2"), ("'a' + 'b'", '"a" + "b"'), ("-(3 - 5)", "-(3 - 5)"),
    ("6 & 3 | 8", "(6 & 3) | 8"), ("1 << 4", "1 << 4"),
    # comparisons and boolean logic
    ("1 < 2", "1 < 2"), ("[1, 2, 3] > 2", "[1, 2, 3] > 2"), ("1 < 2 < 3", "1 < 2 && 2 < 3"),
    ("3 > 2 > 5", "3 > 2 && 2 > 5"), ("1 == 1 and 2 != 3", "1 == 1 && 2 != 3"),
    ("not (1 < 0) or False", "!(1 < 0) || false"), ("0 and undefined_name", "false"),
    ("1 or undefined_name", "true"), ("2 in [1, 2, 3]", "2 in [1, 2, 3]"),
    ("5 not in [1, 2, 3]", "!(5 in [1, 2, 3])"), ("x = None\nx is None", "x = NULL\nisNull(x)"),
    ("x = 3\nx is not None", "x = 3\n!isNull(x)"), ("3 if 1 > 2 else 4", "iif(1 > 2, 3, 4)"),
    # assignment
    ("x = 5\nx", "x = 5\nx"), ("a, b = 1, 2\na * 10 + b", "a, b = 1, 2\na * 10 + b"),
    ("x = 1\nx += 4\nx *= 3\nx -= 1\nx", "x = 1\nx = x + 4\nx = x * 3\nx = x - 1\nx"),
    ("a = b = 7\na + b", "a = 7\nb = 7\na + b"), ("v = [1, 2, 3]\nv[0] = 10\nv", "v = [1, 2, 3]\nv[0] = 10\nv"),
    ("d = {'a': 1}\nd['b'] = 2\nd", "d = dict([`a], [1])\nd[`b] = 2\nd"), ("x = 9", "x = 9"),
    # def, return, if / elif / else
    ("def f(x, y):\n    return x * y + 1\nf(6, 7)", "def f(x, y) { return x * y + 1 }\nf(6, 7)"),
    ("def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\nfib(15)",
     "def fib(n) {\n if (n < 2) return n\n return fib(n - 1) + fib(n - 2)\n}\nfib(15)"),
    ("def sign(x):\n    if x > 0:\n        return 1\n    elif x < 0:\n        return -1\n    else:\n        return 0\n"
     "[sign(5), sign(-3), sign(0)]",
     "def sign(x) { if (x > 0) return 1 else if (x < 0) return -1 else return 0 }\n[sign(5), sign(-3), sign(0)]"),
    ("def noop():\n    pass\nnoop()", "def noop() {}\nnoop()"),
    # loops
    ("s = 0\nfor i in range(10):\n    s += i\ns", "s = 0\nfor (i in 0..9) { s = s + i }\ns"),
    ("p = 1\nfor x in [3, 1, 2]:\n    p *= x\np", "p = 1\nfor (x in [3, 1, 2]) p = p * x\np"),
    ("s = 0\nfor i in range(10):\n    if i % 2 == 0:\n        continue\n    if i > 7:\n        break\n    s += i\ns",
     "1 + 3 + 5 + 7"),
    ("i = 0\nwhile i < 5:\n    i += 1\n    if i == 3:\n        break\ni", "i = 0\nwhile (i < 3) { i = i + 1 }\ni"),
    # list comprehensions
    ("[x * x for x in range(5)]", "til(5) * til(5)"), ("[x for x in range(10) if x % 3 == 0]", "[0, 3, 6, 9]"),
    ("[a * b for a in [1, 2] for b in [10, 100]]", "[10, 100, 20, 200]"),
    ("x = 'kept'\n[x for x in [1, 2]]\nx", "'kept'"),
    # built-ins, Python's range / len / str, method-call sugar, slices, f-strings, lambdas
    ("sum([1.5, 2.5])", "sum([1.5, 2.5])"), ("max([3, 9, 4])", "max([3, 9, 4])"), ("til(4)", "til(4)"),
    ("range(3)", "til(3)"), ("range(2, 10, 3)", "[2, 5, 8]"), ("range(5, 0, -2)", "[5, 3, 1]"),
    ("len([4, 5, 6])", "size([4, 5, 6])"), ("len('abcd')", "strlen('abcd')"), ("str(42)", "string(42)"),
    ("x = [1, 2, 3]\nx.sum()", "x = [1, 2, 3]\nsum(x)"), ("[1, 5, 3].max()", "max([1, 5, 3])"),
    ("'abc'.upper()", "upper('abc')"), ("v = [5, 6, 7, 8]\nv[1:3]", "v = [5, 6, 7, 8]\nv[1:3]"),
    ("v = [5, 6, 7, 8]\nv[-1]", "8"), ("v = [5, 6, 7, 8]\nv[::2]", "[5, 7]"), ("'abcdef'[1:4]", "'bcd'"),
    ("n = 3\nf'n={n}!'", "n = 3\n'n=' + string(n) + \"!\""), ("g = lambda x: x * 3\ng(2)", "g = x -> x * 3\ng(2)"),
    ("each(lambda x: x + 1, [1, 2])", "each(x -> x + 1, [1, 2])"),
    ("a = [1, 2]\nb = ['x', 'y']\nt = table(a, b)\nt", "a = [1, 2]\nb = [`x, `y]\nt = table(a, b)\nt"),
    ("a = [1, 2, 3]\nt = table(a)\nt.a", "[1, 2, 3]"), ("a = [1, 2, 3]\nt = table(a)\nt[1:]", "a = 2 3\ntable(a)"),
    ("a = [1, 2, 3]\nt = table(a)\nt.rows()", "3"),
]
IDS = [p.replace("\n", "; ")[:40] for p, _ in CASES]

ERRORS = [  # Python script, text the error line must contain
    ("import os", "Syntax Error: [line #1] import is not supported"),
    ("x = 1\nfrom math import sqrt", "Syntax Error: [line #2] import is not supported"),
    ("class A:\n    pass", "Syntax Error: [line #1] 'class' is not supported by the Python parser"),
    ("try:\n    x = 1\nexcept Exception:\n    pass", "'try' is not supported"),
    ("with f() as g:\n    pass", "'with' is not supported"),
    ("x = 1\ny = x @ x", "Syntax Error: [line #2] '@' is not supported"),
    ("print(1, end='')", "a call with keyword or * arguments is not supported"),
    ("def f(x=1):\n    return x", "a def with decorators, defaults"),
    ("{x for x in [1]}", "a set comprehension is not supported"),
    ("x: int", "an annotation without a value is not supported"), ("b'raw'", "a literal of type bytes"),
    ("x = 1\0", "Syntax Error: [line #1]"), ("1" + "+1" * 5000, "Syntax Error: [line #1] the script is nested too deeply"),
    ("{}", "an empty dict literal"),
    ("for a, b in [1, 2]:\n    pass", "a loop target other than one name"),
    ("def f(x:\n", "Syntax Error: [line #1]"),
    ("x = 1 +", "Syntax Error: [line #1] invalid syntax"),
    ("undefined_name + 1", "Cannot recognize the token undefined_name"),
    ("range(1, 5, 0)", "range() arg 3 must not be zero"),
    ("nosuchfunction(1)", "Can't recognize function name nosuchfunction"),
]

PYTHON_ONLY = ["def f(x):\n    return x+1", "[x for x in 1..3]", "y = 1 if true else 2", "a = None",
               "g = lambda x: x", "import os"]


def _python_ctx():
    ctx = SessionContext()
    ctx.python_syntax = True
    return ctx


def _encoded(value):
    return None if value is None else codec.encode(value)


# ---------------------------------------------------------------------------- in process
@pytest.mark.parametrize("python_script,ddb_script", CASES, ids=IDS)
def test_python_syntax_encodes_like_the_dolphindb_script(python_script, ddb_script):
    assert _encoded(run_script(_python_ctx(), python_script)) == _encoded(run_script(SessionContext(), ddb_script))


@pytest.mark.parametrize("script,text", ERRORS, ids=[s[:30].replace("\n", "; ") for s, _ in ERRORS])
def test_unsupported_python_is_a_server_error_line(script, text):
    with pytest.raises(ScriptError) as err:
        run_script(_python_ctx(), script)
    assert text in str(err.value)


@pytest.mark.parametrize("script", PYTHON_ONLY)
def test_python_only_syntax_stays_a_dolphindb_syntax_error(script):
    with pytest.raises(ScriptError, match=r"^Syntax Error: \[line #1\]"):
        run_script(SessionContext(), script)


def test_one_session_shares_variables_and_functions_between_the_parsers():
    ctx = SessionContext()
    run_script(ctx, "x = 1 2 3\ndef twice(v) { return v * 2 }")
    ctx.python_syntax = True
    assert _encoded(run_script(ctx, "y = twice(x).sum()\ndef inc(v):\n    return v + 1\ny")) == \
        codec.encode(run_script(SessionContext(), "12l"))
    run_script(ctx, "def evens(n):\n    return [i for i in range(n) if i % 2 == 0 and i is not None]")
    ctx.python_syntax = False
    assert run_script(ctx, "inc(y)").value == 13
    assert run_script(ctx, "evens(5)").data.tolist() == [0, 2, 4]     # Py* nodes run from DolphinDB syntax


def test_print_and_cancellation_use_the_session():
    ctx = _python_ctx()
    run_script(ctx, "for i in range(2):\n    print('row', i)")
    assert ctx.output == ["row 0", "row 1"]
    ctx.cancel_event.set()
    with pytest.raises(Exception, match="cancelled"):
        run_script(ctx, "while True:\n    pass")


# ---------------------------------------------------------------------------- our client
def canonical(obj):
    """A text equal only for equal objects of equal types (runs in both clients' processes)."""
    import numpy as np
    import pandas as pd
    if isinstance(obj, pd.DataFrame):
        return "frame " + repr([str(d) for d in obj.dtypes]) + repr(obj.to_dict("list"))
    if isinstance(obj, np.ndarray):
        return "ndarray " + str(obj.dtype) + " " + repr(obj.tolist())
    if isinstance(obj, (list, tuple)):
        return type(obj).__name__ + "[" + ", ".join(canonical(x) for x in obj) + "]"
    if isinstance(obj, dict):
        return "dict{" + ", ".join(f"{k!r}: {canonical(v)}" for k, v in obj.items()) + "}"
    return type(obj).__name__ + " " + repr(obj)


@pytest.fixture(scope="module")
def sessions(server):
    python = ddb.Session(python=True)
    dolphin = ddb.Session()
    for s in (python, dolphin):
        assert s.connect("127.0.0.1", server.port, "admin", "123456")
    yield python, dolphin
    python.close()
    dolphin.close()


def test_our_client_with_python_true_reads_what_dolphindb_syntax_gives(sessions):
    python, dolphin = sessions
    for python_script, ddb_script in CASES:
        assert canonical(python.run(python_script)) == canonical(dolphin.run(ddb_script)), python_script


def test_our_client_sees_the_server_errors(sessions):
    python, dolphin = sessions
    for script, text in ERRORS:
        with pytest.raises(RuntimeError) as err:
            python.run(script)
        assert text in str(err.value), script
    for script in PYTHON_ONLY:
        with pytest.raises(RuntimeError, match="Syntax Error"):
            dolphin.run(script)


def test_python_session_print_uploads_and_function_calls(server):
    seen = []
    s = ddb.Session(python=True, on_message=seen.append)
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    try:
        s.upload({"prices": np.array([1.5, 2.5, 3.0])})
        assert s.run("total = prices.sum()\nprint('total', total)\ntotal") == 7.0
        assert seen == ["total 7"]
        s.run("def scale(v, k):\n    return [x * k for x in v]")
        assert s.run("scale", np.array([1, 2], dtype=np.int32), 3).tolist() == [3, 6]
    finally:
        s.close()


@pytest.mark.parametrize("kw", [{"python": True}, {"parser": "python"}, {"parser": keys.ParserType.Python}])
def test_session_and_pool_select_the_python_parser(server, kw):
    s = ddb.Session(**kw)
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    try:
        assert s.run("def f(x):\n    return x + 1\nf(41)") == 42
    finally:
        s.close()
    pool = ddb.DBConnectionPool("127.0.0.1", server.port, 2, "admin", "123456", **kw)
    try:
        assert pool.runTaskAsync("[x * 2 for x in range(3)]").result(10).tolist() == [0, 2, 4]
        assert pool.runTaskAsync("len('abc') if True else 0").result(10) == 3
    finally:
        pool.shutDown()
    dolphin_pool = ddb.DBConnectionPool("127.0.0.1", server.port, 1, "admin", "123456")
    try:
        with pytest.raises(RuntimeError, match="Syntax Error"):
            dolphin_pool.runTaskAsync("[x * 2 for x in range(3)]").result(10)
    finally:
        dolphin_pool.shutDown()


@pytest.mark.parametrize("kw", [{"python": True}, {"parser": "python"}])
def test_pool_sends_flag_2048(kw):
    with StubServer(lambda seen: codec.encode(run_script(SessionContext(), "2"))) as stub:
        pool = ddb.DBConnectionPool("127.0.0.1", stub.port, 1, protocol=keys.PROTOCOL_DDB, **kw)
        try:
            assert pool.runTaskAsync("1+1").result(10) == 2
        finally:
            pool.shutDown()
        assert [r.flag & 2048 for r in stub.user_requests] == [2048]
        assert stub.handshakes and all(f & 2048 for f in stub.handshakes)


# ---------------------------------------------------------------------------- official client
def test_official_client_with_python_true_reads_the_same_values(server, official, sessions):
    python, _ = sessions
    code = inspect.getsource(canonical) + f"""
import json, dolphindb as ddb
s = ddb.Session(python=True)
assert s.connect("127.0.0.1", {server.port}, "admin", "123456")
out = {{"values": [], "errors": []}}
for script in {[p for p, _ in CASES]!r}:
    out["values"].append(canonical(s.run(script)))
for script in {[e for e, _ in ERRORS]!r}:
    try:
        s.run(script)
        out["errors"].append("no error")
    except Exception as e:
        out["errors"].append(str(e))
d = ddb.Session()
assert d.connect("127.0.0.1", {server.port}, "admin", "123456")
out["ddb"] = [canonical(d.run(script)) for script in {[d for _, d in CASES]!r}]
try:
    d.run({PYTHON_ONLY[0]!r})
    out["dolphindb"] = "no error"
except Exception as e:
    out["dolphindb"] = str(e)
print(json.dumps(out))
"""
    out = json.loads(official(code).strip().splitlines()[-1])
    ours = [canonical(python.run(p)) for p, _ in CASES]
    for (script, _), theirs, theirs_ddb, mine in zip(CASES, out["values"], out["ddb"], ours):
        assert theirs == theirs_ddb == mine, script
    for (script, text), message in zip(ERRORS, out["errors"]):
        assert text in message, script
    assert "Syntax Error: [line #1]" in out["dolphindb"]

