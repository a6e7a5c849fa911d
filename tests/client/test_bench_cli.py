"""`python -m dolphindb bench` end to end: embedded server in a child process, real pool."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("workload", ["select-point", "select-range", "aggregate", "insert-batch", "download-table"])
def test_bench_runs_every_builtin_workload_and_reports_json(workload):
    proc = subprocess.run([sys.executable, "-m", "dolphindb", "bench", "--workload", workload, "--threads", "2",
                           "--clients", "4", "--tasks", "30", "--rows", "20000", "--json"],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["workload"] == workload
    assert summary["tasks"] == 30 and summary["errors"] == {}
    lat = summary["latency_ms"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert summary["bytes_received"] > 0 and summary["client_cpu_s"] > 0


def test_bench_against_an_existing_server_with_a_script_file(server, tmp_path):
    script = tmp_path / "q.dos"
    script.write_text("sum(1..1000)")
    proc = subprocess.run([sys.executable, "-m", "dolphindb", "bench", "--host", "127.0.0.1", "--port",
                           str(server.port), "--script", str(script), "--tasks", "50", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tasks"] == 50


def test_bench_text_summary_and_argument_errors():
    proc = subprocess.run([sys.executable, "-m", "dolphindb", "bench", "--tasks", "10", "--rows", "1000"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "throughput" in proc.stdout and "latency p50 / p90 / p99" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "dolphindb", "bench", "--host", "x"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--host and --port go together" in bad.stderr


def test_bench_plot_writes_a_png(tmp_path):
    out = tmp_path / "bench.png"
    proc = subprocess.run([sys.executable, "-m", "dolphindb", "bench", "--tasks", "50", "--rows", "1000",
                           "--plot", str(out), "--quiet"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000


def test_bench_load_balance_and_ha_run_against_an_embedded_cluster():
    proc = subprocess.run([sys.executable, "-m", "dolphindb", "bench", "--load-balance", "--ha", "--threads", "4",
                           "--tasks", "40", "--rows", "2000", "--json"],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["tasks"] == 40 and summary["errors"] == {}
    per_node = summary["connections_per_node"]
    assert len(per_node) == 4 and sum(per_node.values()) == 4    # 3 data nodes + 1 compute node
    assert summary["failovers"] == 0 and summary["resends"] == 0
