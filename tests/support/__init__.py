"""Helpers shared by the test folders: scripted peers, the corpora both clients run, the official
client's side of the differential tests. This module imports only the standard library, since the
official client's venv imports the corpora through it."""
import signal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAPTURES = ROOT / "tests" / "data" / "captures"    # the official client's recorded traffic


def default_sigint():
    """preexec_fn for a child that must answer Ctrl-C: a launcher that runs us in the background
    (a shell without job control, some CI runners) passes SIGINT ignored, and Python then installs
    no KeyboardInterrupt handler."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
