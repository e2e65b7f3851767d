"""The store conformance suite talks to whichever MongoDB-compatible server `MONGO_URL` names.

When that server is the project's FerretDB, the tooling also names its PostgreSQL
(`DEVSTACK_POSTGRES_URL`) and binaries (`DEVSTACK_FERRETDB_BIN`, `DEVSTACK_PSQL`), so the tests of
the pool behind it can start a FerretDB of their own with a tiny pool.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid

import pytest
from pymongo import MongoClient


@pytest.fixture(scope="session")
def mongo_client():
    url = os.environ.get("MONGO_URL")
    if not url:
        pytest.fail("MONGO_URL is not set: run this suite through `make test` (tools/devstack test)")
    client = MongoClient(url, serverSelectionTimeoutMS=5000, maxPoolSize=64)
    yield client
    client.close()


@pytest.fixture
def fresh_client():
    """A client of its own whose every call gives up after 10 s: a server that stops answering
    fails the test instead of hanging the suite."""
    client = MongoClient(os.environ["MONGO_URL"], serverSelectionTimeoutMS=5000, socketTimeoutMS=10_000)
    yield client
    client.close()


@pytest.fixture
def db(mongo_client):
    name = f"conformance_{uuid.uuid4().hex[:10]}"
    yield mongo_client[name]
    mongo_client.drop_database(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def small_pool_ferretdb(mongo_client, tmp_path):
    """A second FerretDB on the same PostgreSQL with a pool of two connections and a 500 ms
    deadline for getting one; yields a client and a database name of its own."""
    if "ferretdbVersion" not in mongo_client.admin.command("serverStatus"):
        pytest.skip("the server is MongoDB: there is no PostgreSQL pool behind it")
    postgres_url, binary = os.environ.get("DEVSTACK_POSTGRES_URL"), os.environ.get("DEVSTACK_FERRETDB_BIN")
    if not postgres_url or not binary:
        pytest.fail("FerretDB without DEVSTACK_POSTGRES_URL/DEVSTACK_FERRETDB_BIN: run through `make test`")
    port = _free_port()
    separator = "&" if "?" in postgres_url else "?"
    process = subprocess.Popen(
        [binary],
        env={
            "FERRETDB_HANDLER": "postgresql",
            "FERRETDB_POSTGRESQL_URL": f"{postgres_url}{separator}pool_max_conns=2&pool_acquire_timeout=500ms",
            "FERRETDB_STATE_DIR": str(tmp_path),
            "FERRETDB_LISTEN_ADDR": f"127.0.0.1:{port}",
            "FERRETDB_TELEMETRY": "disable",
            "FERRETDB_DEBUG_ADDR": "127.0.0.1:0",
            "FERRETDB_LOG_LEVEL": "ERROR",
        },
    )
    client = MongoClient(f"mongodb://127.0.0.1:{port}/", serverSelectionTimeoutMS=10_000, socketTimeoutMS=20_000)
    name = f"conformance_pool_{uuid.uuid4().hex[:8]}"
    try:
        client[name].locked.insert_one({"_id": 1})
        yield client, name
        client.drop_database(name)
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


def _psql_scalar(postgres_url: str, psql: str, sql: str) -> str:
    return subprocess.run(
        [psql, postgres_url, "--no-psqlrc", "--tuples-only", "--no-align", "--command", sql],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


class LockedTable:
    """A PostgreSQL session that holds an exclusive lock on the table behind a collection."""

    def __init__(self, postgres_url: str, psql: str, table: str):
        self._url, self._psql = postgres_url, psql
        self._session = subprocess.Popen(
            [psql, postgres_url, "--quiet", "--no-psqlrc", "--set", "ON_ERROR_STOP=1"],
            stdin=subprocess.PIPE,
            text=True,
        )
        self._session.stdin.write(f"BEGIN;\nLOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;\n")
        self._session.stdin.flush()

    def _scalar(self, sql: str) -> str:
        return _psql_scalar(self._url, self._psql, sql)

    def granted(self) -> bool:
        return self._scalar("SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND granted") != "0"

    def waiting(self) -> int:
        return int(self._scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"))

    def release(self) -> None:
        if self._session.poll() is None:
            self._session.stdin.write("ROLLBACK;\n")
            self._session.stdin.close()
            self._session.wait(timeout=10)


@pytest.fixture
def locked_table(small_pool_ferretdb):
    _client, name = small_pool_ferretdb
    postgres_url, psql = os.environ["DEVSTACK_POSTGRES_URL"], os.environ["DEVSTACK_PSQL"]
    table = _psql_scalar(
        postgres_url,
        psql,
        "SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables "
        f"WHERE table_schema = '{name}' AND table_name LIKE 'locked%'",
    )
    assert table, f"no PostgreSQL table behind {name}.locked"
    lock = LockedTable(postgres_url, psql, table)
    deadline = time.monotonic() + 10
    while not lock.granted():
        assert time.monotonic() < deadline, "the table lock was not granted"
        time.sleep(0.05)
    yield lock
    lock.release()
