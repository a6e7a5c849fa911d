"""Shared fixtures: the embedded server and the official client (a subprocess of its own venv)."""
from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from support import ROOT
from support.official import official_python


def pytest_report_header(config):
    import dolphindb
    return f"dolphindb under test: {Path(dolphindb.__file__).parent}"


def pytest_configure(config):
    """DDB_TEST_INSTALLED=1 (CI) demands the installed package, so a file missing from the
    wheel fails the run instead of being found in the source tree."""
    if os.environ.get("DDB_TEST_INSTALLED"):
        import dolphindb
        if Path(dolphindb.__file__).resolve().is_relative_to(ROOT / "python"):
            raise pytest.UsageError(f"DDB_TEST_INSTALLED is set but dolphindb comes from {dolphindb.__file__}")


@pytest.fixture(scope="session")
def server():
    from dolphindb.server import Server
    with Server(port=0, workers=16) as srv:
        yield srv


@pytest.fixture(scope="session")
def official():
    """official(code) runs `code` with the official dolphindb 3.0.6.1 and returns its stdout."""
    python = official_python()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    def run(code: str, timeout: float = 120) -> str:
        proc = subprocess.run([python, "-c", textwrap.dedent(code)], env=env, capture_output=True,
                              text=True, timeout=timeout, cwd="/")
        if proc.returncode != 0:
            raise AssertionError(f"official client failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    return run


@pytest.fixture(params=[0, 2], ids=["threads", "reactor"])
def io_mode(request, monkeypatch):
    """Runs a pool test with a thread per connection (0) and with the epoll reactor (2
    executors): pools created without an explicit ioThreads use this mode."""
    import dolphindb.pool as facade
    chosen = facade.io_threads
    monkeypatch.setattr(facade, "io_threads",
                        lambda value, n: chosen(request.param if value is None else value, n))
    return request.param
