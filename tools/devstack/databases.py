"""The servers under the platform: a MongoDB-compatible server and Redis (ARCHITECTURE 3.2).

MongoDB-compatible server: `MONGO_URL` when set, else `mongod` from PATH, else the project's
patched FerretDB on a private PostgreSQL cluster kept in the data directory. Redis: `REDIS_URL`
when set, else a local `redis-server`. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import ferretdb
from .processes import Managed, free_port, give_to, log, port_open, run_as, unprivileged_user, wait_for

# Starts a named process the way the stack does (logged, stopped with everything else).
Start = Callable[..., Managed]


def pick_port(env_name: str, default: int | None, *, free: bool) -> int:
    """The configured port, else a free one (tests, or no default), else the default if unused."""
    if configured := os.environ.get(env_name):
        return int(configured)
    if free or default is None:
        return free_port()
    if port_open(default):
        raise SystemExit(f"port {default} is in use: stop what uses it (or another `make run`), or set {env_name}")
    return default


@dataclass(frozen=True)
class MongoServer:
    url: str
    # When the server is the project's FerretDB: its PostgreSQL and binaries, for the conformance
    # tests of the pool behind it (store_conformance/conftest.py).
    test_env: dict[str, str] = field(default_factory=dict)


def ferretdb_pool_settings() -> str:
    """The query string FerretDB's PostgreSQL pool is configured by (tools/ferretdb/
    unpinned-connections.patch): its size, and how long a command may wait for a connection
    before it fails with an error instead of waiting on."""
    size = int(os.environ.get("DEVSTACK_FERRETDB_POOL_SIZE", "50"))
    acquire_timeout = os.environ.get("DEVSTACK_FERRETDB_ACQUIRE_TIMEOUT", "2s")
    return f"pool_max_conns={size}&pool_acquire_timeout={acquire_timeout}"


def start_mongo(start: Start, data_dir: Path, *, free: bool, as_released: bool = False) -> MongoServer:
    port = pick_port("DEVSTACK_MONGO_PORT", 27017, free=free)
    test_env: dict[str, str] = {}
    if (mongod := shutil.which("mongod")) and not as_released:
        path = data_dir / "mongod"
        path.mkdir(parents=True, exist_ok=True)
        process = start(
            "mongod", [mongod, "--dbpath", str(path), "--port", str(port), "--bind_ip", "127.0.0.1", "--quiet"]
        )
    else:
        postgres_url = start_postgres(start, data_dir, free=free)
        binary = ferretdb.binary(as_released=as_released)
        test_env = {
            "DEVSTACK_POSTGRES_URL": postgres_url,
            "DEVSTACK_FERRETDB_BIN": binary,
            "DEVSTACK_PSQL": str(postgres_bin_dir() / "psql"),
        }
        state = data_dir / "ferretdb"
        state.mkdir(parents=True, exist_ok=True)
        pool = "" if as_released else f"?{ferretdb_pool_settings()}"
        process = start(
            "ferretdb",
            [binary],
            env={
                "FERRETDB_HANDLER": "postgresql",
                "FERRETDB_POSTGRESQL_URL": postgres_url + pool,
                "FERRETDB_STATE_DIR": str(state),
                "FERRETDB_LISTEN_ADDR": f"127.0.0.1:{port}",
                "FERRETDB_TELEMETRY": "disable",
                "FERRETDB_DEBUG_ADDR": "127.0.0.1:0",
                "FERRETDB_LOG_LEVEL": "ERROR",
            },
        )
    wait_for(lambda: port_open(port), timeout_s=30, what="MongoDB-compatible server", process=process)
    return MongoServer(url=f"mongodb://127.0.0.1:{port}/", test_env=test_env)


def postgres_bin_dir() -> Path:
    """Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<version>/bin."""
    if initdb := shutil.which("initdb"):
        return Path(initdb).resolve().parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise SystemExit("PostgreSQL is not installed: run `make setup` (apt-get install postgresql), or set MONGO_URL")
    return Path(found[-1]).parent


def start_postgres(start: Start, data_dir: Path, *, free: bool) -> str:
    """A private cluster in `data_dir/postgres`: created once, trust auth, TCP on 127.0.0.1 only.

    Test runs trade durability for speed (their data is thrown away); `make run` keeps it.
    """
    bin_dir = postgres_bin_dir()
    user = unprivileged_user("postgres")
    cluster = data_dir / "postgres"
    if not (cluster / "PG_VERSION").exists():
        shutil.rmtree(cluster, ignore_errors=True)
        cluster.mkdir(parents=True)
        give_to(user, cluster)
        log("creating the PostgreSQL cluster (first run only)")
        subprocess.run(
            [
                str(bin_dir / "initdb"),
                "--pgdata",
                str(cluster),
                "--username",
                "ferretdb",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--no-instructions",
            ],
            check=True,
            **run_as(user),
            stdout=subprocess.DEVNULL,
        )
    else:
        give_to(user, cluster)
        # A cluster left running by a run that was killed: stop it, it holds the data directory.
        subprocess.run(
            [str(bin_dir / "pg_ctl"), "stop", "--pgdata", str(cluster), "--mode", "fast", "--silent"],
            **run_as(user),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    port = pick_port("DEVSTACK_POSTGRES_PORT", None, free=True)
    settings = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": "",
        "max_connections": "200",
        "shared_buffers": "128MB",
        "log_min_messages": "warning",
    }
    if free:
        settings.update({"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
    args = [str(bin_dir / "postgres"), "-D", str(cluster)]
    for name, value in settings.items():
        args += ["-c", f"{name}={value}"]
    process = start("postgres", args, user=user, stop_signal=signal.SIGINT, signal_group=False)
    ready = [
        str(bin_dir / "pg_isready"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--username",
        "ferretdb",
        "--dbname",
        "postgres",
        "--quiet",
    ]
    wait_for(lambda: subprocess.call(ready) == 0, timeout_s=30, what="PostgreSQL", process=process)
    return f"postgres://ferretdb@127.0.0.1:{port}/postgres"


def start_redis(start: Start, data_dir: Path, *, free: bool) -> str:
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise SystemExit(
            "redis-server is not installed: run `make setup` (apt-get install redis-server), or set REDIS_URL"
        )
    port = pick_port("DEVSTACK_REDIS_PORT", 6379, free=free)
    path = data_dir / "redis"
    path.mkdir(parents=True, exist_ok=True)
    process = start(
        "redis",
        [
            redis_server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(path),
            "--save",
            "60 1",
            "--appendonly",
            "no",
            "--loglevel",
            "warning",
        ],
    )
    wait_for(lambda: port_open(port), timeout_s=15, what="Redis", process=process)
    return f"redis://127.0.0.1:{port}/0"
