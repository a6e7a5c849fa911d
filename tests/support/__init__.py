"""Helpers shared by the test folders: scripted peers, the corpora both clients run, the official
client's side of the differential tests. This module imports only the standard library, since the
official client's venv imports the corpora through it."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAPTURES = ROOT / "tests" / "data" / "captures"    # the official client's recorded traffic
