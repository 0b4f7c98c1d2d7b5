"""Fixtures for the end-to-end suites: the real `tapedeck` binary against real peers.

The helpers (the Server class, the LiveKit, S3 and Supabase stand-ins, media and browser
helpers) live in Tests/peers, which pytest puts on the import path (pytest.ini). The binary
comes from TAPEDECK_BIN (scripts/test.sh sets it); PostgreSQL suites run when
TEST_DATABASE_URL is set, each server on a database of its own.
"""
import pytest

from tapedeck_server import Server, database_kinds


@pytest.fixture(params=database_kinds())
def server(request):
    instance = Server(database=request.param, name=f"{request.node.name}")
    instance.start()
    yield instance
    instance.close()
