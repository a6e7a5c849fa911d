import pytest

from dolphindb.server.lang import SessionContext


@pytest.fixture
def ctx():
    """A fresh interpreter session, in-process."""
    return SessionContext()
