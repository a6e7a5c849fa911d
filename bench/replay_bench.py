"""`bench/compare.py --server replay`: our client, the official client and a bare C client against a
replay server, so the figures measure the clients and not the pure-Python embedded server.

1. Build bench/replay (replay_server, replay_client) with CMake into build/replay.
2. Start the embedded server, load the benchmark tables, and run every row once per client through
   the recording proxy (bench/replay_record.py): that keeps each distinct request with the embedded
   server's reply, and each client's results (a digest) from the embedded server.
3. Start the replay server on the recording and run every row again, timed, for both clients and
   the C client. Each client's results must equal its results from the embedded server, and the C
   client checks its warm-up replies byte for byte against the recording.

Pinning (taskset): on small-task rows client and server share one vCPU (a wake-up across vCPUs
costs tens of microseconds of CPU on these VMs and would dominate); on bulk rows they get one each.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from compare import client_envs, load_table, loopback_throughput, machine, market_table, memcpy_bandwidth
from replay_record import Child, read_recording
from replay_workloads import SCALAR, SMALL_TABLE, TEXT_COLUMNS, UPLOAD_CALL, UPLOAD_TABLE

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = ROOT / "build" / "replay"
CONNECT = "connect\nlogin\nadmin\n123456\nfalse"   # the official client's connect with inline login


@dataclasses.dataclass
class Row:
    label: str
    workload: str
    args: list          # both passes
    record_n: int       # repetitions while recording (kept small: the embedded server is slow)
    replay_n: int       # repetitions against the replay server
    figure: str         # cpu_us | wall_us | tasks | gbps | ms
    task: str           # the script (or function body) the C client repeats
    setup: tuple = ()
    connections: int = 1
    bulk: bool = False     # pinned one vCPU each, best of replay_n (else one shared vCPU, total)


def rows(quick: bool):
    scale = 10 if quick else 1
    return [
        Row("Session.run scalar, client CPU per task", "scalar", [], 2, 5000 // scale, "cpu_us", SCALAR),
        Row("Session.run 10-row x 5-col table (DDB), wall per task", "small-table", [], 2, 1000 // scale, "wall_us",
            SMALL_TABLE),
        Row("pool fan-out, 10,000 tasks, 16 connections", "fanout", ["--threads", "16"], 200, 10000 // scale,
            "tasks", SCALAR, connections=16),
        Row("1M rows x 3 numeric download", "download", ["--table", "scale_1000000"], 1, 5, "gbps",
            "select * from scale_1000000", bulk=True),
        Row("10M rows x 3 numeric download", "download", ["--table", "scale_10000000"], 1, 3, "gbps",
            "select * from scale_10000000", bulk=True),
        Row("1M rows STRING + SYMBOL download", "text-download", [], 1, 5, "ms", TEXT_COLUMNS, bulk=True),
        Row("1M-row DataFrame upload", "upload", [], 1, 5, "ms", UPLOAD_CALL, setup=(UPLOAD_TABLE,),
            bulk=True),
    ]


def build_tools() -> Path:
    generator = ["-G", "Ninja"] if shutil.which("ninja") and not (BUILD / "Makefile").exists() else []
    for cmd in (["cmake", "-S", str(HERE / "replay"), "-B", str(BUILD), *generator],
                ["cmake", "--build", str(BUILD)]):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"building bench/replay failed:\n{proc.stdout}\n{proc.stderr}")
    return BUILD


def run_client(cmd, env=None, cpu=None, timeout=900) -> dict:
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu), *cmd]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"no answer within {timeout} s"}
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:300]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def python_row(python, env, port, row: Row, n: int, cpu=None) -> dict:
    cmd = [python, str(HERE / "replay_workloads.py"), "--port", str(port), "--workload", row.workload,
           "--n", str(n), *row.args]
    return run_client(cmd, env, cpu)


def entry_index(entries, body: str) -> int:
    for i, e in enumerate(entries):
        key = e[0]
        if key[key.index(b"\n") + 1:] == body.encode():
            return i
    raise SystemExit(f"the recording holds no request {body!r}")


def request_body(script: str) -> str:
    """The body of the request a row sends: a script, or the one-argument call of UPLOAD_CALL."""
    return f"function\n{script}\n1\n1" if script == UPLOAD_CALL else "script\n" + script


def task_bytes(entries, row: Row) -> int:
    """Bytes a row's task moves: the request of an upload, the reply of anything else."""
    key, _, args, prefix, rest = entries[entry_index(entries, request_body(row.task))]
    return len(key) + len(args) if row.task == UPLOAD_CALL else len(prefix) + len(rest)


def c_row(entries, port, row: Row, cpu=None) -> dict:
    cmd = [str(BUILD / "replay_client"), "--recording", str(BUILD / "recording.bin"), "--port", str(port),
           "--connect", str(entry_index(entries, CONNECT)), "--task", str(entry_index(entries, request_body(row.task))),
           "--tasks", str(row.replay_n), "--connections", str(row.connections)]
    if row.bulk:
        cmd += ["--best", "1"]
    if row.setup:
        cmd += ["--setup", ",".join(str(entry_index(entries, request_body(s))) for s in row.setup)]
    return run_client(cmd, cpu=cpu)


def record(plan, clients, recording: Path) -> dict:
    """Runs every row once per client through the recording proxy; each client's result digests."""
    from dolphindb.server import Server

    expected = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes")}
    print("recording the embedded server's replies (one pass per client through the proxy) ...", flush=True)
    with Server(port=0, workers=8) as srv:
        load_table(srv.port, "bench_main", market_table(1_000_000))
        for n in (10**6, 10**7):
            load_table(srv.port, f"scale_{n}", market_table(n, with_strings=False), symbol_cols=())
        proxy = Child([sys.executable, str(HERE / "replay_record.py"), "--upstream-port", str(srv.port),
                       "--out", str(recording)])
        try:
            for row in plan:
                for name, (py, env) in clients.items():
                    r = python_row(py, env, proxy.port, row, row.record_n)
                    if "error" in r:
                        raise SystemExit(f"{row.label}: {name} failed against the embedded server: {r['error']}")
                    expected[f"{row.label}|{name}"] = r["digest"]
        finally:
            code, out, err = proxy.stop()
        print(out.strip(), flush=True)
        if code != 0 or "differing replies for" in out:
            raise SystemExit(f"recording failed (exit {code}):\n{out}\n{err}")
    return expected


def main(args):
    build_tools()
    plan = rows(args.quick)
    if args.only:
        wanted = set(args.only.split(","))
        plan = [r for r in plan if r.workload in wanted]
    (ours_py, ours_env), (off_py, off_env) = client_envs()
    clients = {"ours": (ours_py, ours_env), "official": (off_py, off_env)}
    recording, digests = BUILD / "recording.bin", BUILD / "recording-results.json"
    if args.reuse_recording and recording.exists() and digests.exists():
        expected = json.loads(digests.read_text())
        missing = [row.label for row in plan for name in clients if f"{row.label}|{name}" not in expected]
        if missing:
            raise SystemExit(f"the kept recording lacks rows {missing}: run without --reuse-recording")
        print(f"reusing {recording} (recorded {expected['date']})", flush=True)
    else:
        expected = record(plan, clients, recording)
        digests.write_text(json.dumps(expected, indent=1))
    entries = read_recording(recording)

    cpus = sorted(os.sched_getaffinity(0))
    shared, server_cpu, client_cpu = cpus[-1], cpus[0], cpus[-1]
    server = Child([str(BUILD / "replay_server"), "--recording", str(recording)])
    results, mismatches = [], []
    try:
        for row in plan:
            if not row.bulk:
                server.pin(shared)
                cpu = shared
            else:
                server.pin(server_cpu)
                cpu = client_cpu
            res = {name: python_row(py, env, server.port, row, row.replay_n, cpu) for name, (py, env) in clients.items()}
            res["limit"] = c_row(entries, server.port, row, cpu)
            for name in clients:
                got = res[name].get("digest")
                want = expected[f"{row.label}|{name}"]
                if got is not None and got != want:
                    mismatches.append(f"{row.label}: {name} got {got} from the replay server, {want} from the "
                                      "embedded server")
            res["bytes"] = task_bytes(entries, row)
            res["row"] = dataclasses.asdict(row)
            res["pinning"] = (f"client+server on vCPU {shared}" if not row.bulk
                              else f"server on vCPU {server_cpu}, client on vCPU {client_cpu}")
            results.append(res)
            print_detail(row, res)
    finally:
        code, _, err = server.stop()
        if code not in (0, -15):
            print(f"replay server exited with {code}: {err}", file=sys.stderr)
    limits = {"loopback_bytes_per_s": loopback_throughput(), "memcpy_bytes_per_s": memcpy_bandwidth()}
    print_table(plan, results, limits)
    if args.save:
        out = HERE / "results" / f"replay-{dt.date.today().isoformat()}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps({"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes"),
                                   "machine": machine(), "limits": limits, "results": results}, indent=2))
        print(f"saved {out}")
    if mismatches:
        raise SystemExit("results from the replay server differ from the embedded server's:\n  " +
                         "\n  ".join(mismatches))
    if any("error" in r[side] for r in results for side in ("ours", "official", "limit")):
        raise SystemExit("some rows failed (see above)")


def figure(row: Row, r: dict, nbytes: int):
    """(text, speed): speed is larger-is-better, for the ratios."""
    if "error" in r:
        return "error", None
    wall, cpu, ops = r["wall"], r["cpu"], r["ops"]
    if row.figure == "cpu_us":
        v = 1e6 * cpu / ops
        return f"{v:.1f} us", 1 / v
    if row.figure == "wall_us":
        v = 1e6 * wall / ops
        return f"{v:.1f} us ({1e6 * cpu / ops:.1f} us CPU)", 1 / v
    if row.figure == "tasks":
        v = ops / wall
        return f"{v / 1000:.1f}k tasks/s, {1e6 * cpu / ops:.1f} us CPU/task", v
    if row.figure == "gbps":
        v = nbytes / wall / 1e9
        return f"{v:.2f} GB/s", v
    return f"{1e3 * wall:.1f} ms, {1e3 * cpu:.1f} ms CPU", 1 / wall


def print_detail(row, res):
    cells = [figure(row, res[side], res["bytes"])[0] for side in ("ours", "official", "limit")]
    print(f"{row.label:<55} ours {cells[0]} | official {cells[1]} | C {cells[2]}   [{res['pinning']}]", flush=True)
    for side in ("ours", "official", "limit"):
        if "error" in res[side]:
            print(f"    {side} failed: {res[side]['error']}", flush=True)


def print_table(plan, results, limits):
    print()
    print(f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {machine()}, CPU {cpu_model()}, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print(f"loopback TCP {limits['loopback_bytes_per_s'] / 1e9:.2f} GB/s, memcpy {limits['memcpy_bytes_per_s'] / 1e9:.1f} "
          f"GB/s; every connection PROTOCOL_DDB; results of both clients equal to the embedded server's")
    print("pinned (clients with taskset -c, the replay server with sched_setaffinity): small-task rows run client "
          "and replay server on one vCPU, bulk rows one vCPU each")
    print()
    print("| measure | ours | official | C client (limit) | ours / official | ours / limit |")
    print("|---|---|---|---|---|---|")
    for row, res in zip(plan, results):
        label = row.label + (f" ({res['bytes'] / 1e6:.1f} MB)" if row.workload == "upload" else "")
        cells = [figure(row, res[side], res["bytes"]) for side in ("ours", "official", "limit")]
        (ot, o), (ft, f), (lt, lim) = cells
        vs_official = f"{o / f:.2f}x" if o and f else "-"
        vs_limit = f"{100 * o / lim:.0f}%" if o and lim else "-"
        print(f"| {label} | {ot} | {ft} | {lt} | {vs_official} | {vs_limit} |")
    print()
    print("ours / official: how many times faster we are (speed ratio); ours / limit: our speed as a share of "
          "the bare C client's")


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    raise SystemExit("run it as: python bench/compare.py --server replay")
