"""Helpers shared by the test folders: scripted peers and the corpora both clients run."""
