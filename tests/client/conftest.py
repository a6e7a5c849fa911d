"""Client fixtures over the shared embedded server: a connected Session and a pool of three."""
from __future__ import annotations

import pytest

import dolphindb as ddb


@pytest.fixture
def s(server):
    sess = ddb.Session()
    sess.connect("127.0.0.1", server.port)
    yield sess
    sess.close()


@pytest.fixture
def pool(server):
    p = ddb.DBConnectionPool("127.0.0.1", server.port, 3)
    yield p
    p.shutDown()
