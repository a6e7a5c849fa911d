"""How fast the embedded server's script interpreter runs loops over many rows.

    python bench/server_interpreter.py [--scale 0.1] [--only NAME] [--json]

Each workload is one script run in-process on a fresh session (no sockets, no client), the way
the server runs a request's script; the figures are wall time and the process's CPU time (the
CPU column holds better on a shared machine). The 70,000-row `tableInsert` loop is the script
of the official API's decimal array-vector tests; the others isolate the costs such a loop is
made of: statements, name lookup, calls of built-ins and user functions, appends of one row.
`--scale` multiplies every loop count (0.1 for a quick look).
"""
from __future__ import annotations

import argparse
import json
import time

from dolphindb.server.lang import SessionContext, run_script

# name -> (script with {n} for the loop count, loop count, what is checked afterwards)
WORKLOADS = {
    "tableInsert 5 DECIMAL32[] cols": ("""
        t = table(1:0, `c1`c2`c3`c4`c5, [DECIMAL32(0)[], DECIMAL32(2)[], DECIMAL32(4)[], DECIMAL32(6)[], DECIMAL32(8)[]])
        for (i in 0:{n}) {{
            tableInsert(t, [decimal32(1 1,0)], [decimal32(2 2,2)], [decimal32(3 3,4)], [decimal32(4 4,6)], [decimal32(5 00i,8)])
        }}
        size(t)""", 70_000),
    "tableInsert INT, DECIMAL64[] x2": ("""
        t = table(1:0, `ind`c1`c2, [INT, DECIMAL64(0)[], DECIMAL64(16)[]])
        for (i in 0:{n}) {{
            tableInsert(t, i, [decimal64(1 1,0)], [decimal64(4 00i,16)])
        }}
        size(t)""", 70_000),
    "tableInsert INT, DOUBLE, SYMBOL": ("""
        t = table(1:0, `a`b`c, [INT, DOUBLE, SYMBOL])
        for (i in 0:{n}) {{
            tableInsert(t, i, i * 0.5, `x)
        }}
        size(t)""", 70_000),
    "t.append!(table(...)) one row": ("""
        t = table(1:0, `a`b, [INT, DOUBLE])
        for (i in 0:{n}) {{
            t.append!(table(i as a, 1.5 as b))
        }}
        size(t)""", 20_000),
    "append! row to DECIMAL32(5)[]": ("""
        x = array(DECIMAL32(5)[])
        for (i in 0:{n}) {{
            x.append!([decimal32(take(`1`0``2.123, 5), 5)])
        }}
        size(x)""", 70_000),
    "append! scalar to INT vector": ("""
        v = array(INT, 0)
        for (i in 0:{n}) {{
            v.append!(i)
        }}
        size(v)""", 200_000),
    "scalar arithmetic": ("""
        s = long(0)
        for (i in 0:{n}) {{
            s = s + i * 2 - 1
        }}
        s""", 200_000),
    "while + if": ("""
        i = 0
        odd = 0
        do {{
            if (i % 2 == 1) odd = odd + 1
            i = i + 1
        }} while (i < {n})
        odd""", 200_000),
    "user function calls": ("""
        def add(a, b) {{ return a + b }}
        s = long(0)
        for (i in 0:{n}) {{
            s = add(s, i)
        }}
        s""", 100_000),
    "built-in calls": ("""
        s = long(0)
        for (i in 0:{n}) {{
            s = add(s, abs(i - 5))
        }}
        s""", 100_000),
}


def measure(script: str) -> dict:
    ctx = SessionContext()
    ctx.max_value_bytes = 256 << 20         # the server's default session limit, checked per assignment
    wall, cpu = time.perf_counter(), time.process_time()
    result = run_script(ctx, script)
    return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
            "result": result.value}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every loop count")
    ap.add_argument("--only", help="run the workloads whose name contains this text")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    for name, (script, count) in WORKLOADS.items():
        if args.only and args.only not in name:
            continue
        n = max(1, int(count * args.scale))
        figures = measure(script.format(n=n))
        rows.append({"workload": name, "iterations": n, **figures,
                     "us_per_iteration": figures["cpu_s"] / n * 1e6})
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return
    print("| workload | iterations | wall | CPU | CPU per iteration |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workload']} | {r['iterations']:,} | {r['wall_s']:.2f} s | {r['cpu_s']:.2f} s "
              f"| {r['us_per_iteration']:.1f} us |")


if __name__ == "__main__":
    main()
