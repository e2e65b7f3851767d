"""One platform: its databases and the six services, on fixed ports (`make run`) or free ones (tests)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import databases
from .keys import ensure_jwt_keys, ensure_service_secrets
from .paths import ROOT, VENV_BIN
from .processes import (
    COLORS,
    Managed,
    child_env,
    free_ports,
    log,
    port_open,
    ready_as,
    wait_for,
)

# How every uvicorn here listens (docker/entrypoint.sh does the same):
# - an idle keep-alive connection is kept longer than any client here reuses one
#   (HTTP_KEEPALIVE_EXPIRY_S and the gateway's pool: 30 s), so it is always the client that closes
#   it and no request is sent as the server closes;
# - the accept queue is as long as the kernel allows (somaxconn, 4096 by default): in a reconnect
#   storm uvicorn's default overflows, and each SYN it drops is resent only a second or more later.
LISTEN_ARGS = ("--timeout-keep-alive", "75", "--backlog", "4096")


def uvicorn_command(app: str, port: int, *more: str) -> list[str]:
    """A uvicorn serving `app` on 127.0.0.1: without its access log (each service logs its own
    requests) and without proxy-header rewriting (the gateway decides which forwarded headers to trust)."""
    return [
        str(VENV_BIN / "uvicorn"),
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--no-proxy-headers",
        *more,
    ]


@dataclass(frozen=True)
class Service:
    name: str
    directory: str
    module: str
    port: int

    @property
    def env_url_name(self) -> str:
        return f"{self.name.upper()}_SERVICE_URL"


SERVICES = [
    Service("auth", "auth_service", "auth_service", 8001),
    Service("customer", "customer_service", "customer_service", 8002),
    Service("restaurant", "restaurant_service", "restaurant_service", 8003),
    Service("order", "order_service", "order_service", 8004),
    Service("delivery", "delivery_service", "delivery_service", 8005),
    Service("gateway", "gateway_service", "gateway_service", 8000),
]


@dataclass
class Stack:
    """Databases and services of one platform, on fixed (run) or free (test) ports."""

    data_dir: Path
    free_ports: bool = False
    quiet: bool = False
    processes: list[Managed] = field(default_factory=list)
    mongo_url: str = ""
    # What the store conformance tests need to know about a FerretDB the stack started.
    store_test_env: dict[str, str] = field(default_factory=dict)
    redis_url: str = ""
    ports: dict[str, int] = field(default_factory=dict)
    # Keeps this platform's databases and keys apart from any other on the same servers.
    db_prefix: str = ""
    # Extra environment for every service (tests lift the per-address limits: every test client
    # shares 127.0.0.1).
    extra_env: dict[str, str] = field(default_factory=dict)
    # The unpatched FerretDB, only to show what the store conformance suite catches.
    ferretdb_as_released: bool = False
    # A Redis of its own even when REDIS_URL is set (tests that pause Redis must not pause everyone's).
    own_redis: bool = False
    # uvicorn worker processes per service where more than one (the 10,000-stream benchmark runs two
    # gateway workers: each open stream holds two descriptors there, past one process's limit).
    workers: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_benchmark(
        cls,
        data_dir: Path,
        name: str,
        *,
        extra_env: dict[str, str] | None = None,
        workers: dict[str, int] | None = None,
    ) -> Stack:
        """A platform a benchmark measures: on free ports, quiet, with databases of its own (`name_...`),
        rate limits off (every client is 127.0.0.1) and only warnings logged."""
        return cls(
            data_dir=data_dir,
            free_ports=True,
            quiet=True,
            db_prefix=f"{name}_{uuid.uuid4().hex[:6]}_",
            extra_env={"RATE_LIMITS_ENABLED": "false", "LOG_LEVEL": "WARNING", **(extra_env or {})},
            workers=workers or {},
        )

    @classmethod
    @contextlib.contextmanager
    def benchmarked(cls, name: str, **kwargs) -> Iterator[Stack]:
        """`for_benchmark`'s platform started in a directory of its own; after the block its
        processes are stopped and its data removed, whatever happened."""
        work = Path(tempfile.mkdtemp(prefix=f"fd-{name}-"))
        stack = cls.for_benchmark(work, name, **kwargs)
        try:
            stack.start_databases()
            stack.start_services()
            yield stack
        finally:
            stack.stop()
            shutil.rmtree(work, ignore_errors=True)

    def start_process(self, name: str, args: list[str], **kwargs) -> Managed:
        """Starts `args` as one of this platform's processes: logged as `name`, stopped with the rest."""
        color = COLORS[len(self.processes) % len(COLORS)]
        log_dir = self.data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        process = Managed(name, args, color=color, quiet=self.quiet, log_file=log_dir / f"{name}.log", **kwargs)
        self.processes.append(process)
        return process

    def start_databases(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if url := os.environ.get("MONGO_URL"):
            self.mongo_url = url
        else:
            server = databases.start_mongo(
                self.start_process, self.data_dir, free=self.free_ports, as_released=self.ferretdb_as_released
            )
            self.mongo_url, self.store_test_env = server.url, server.test_env
        self.redis_url = (not self.own_redis and os.environ.get("REDIS_URL")) or databases.start_redis(
            self.start_process, self.data_dir, free=self.free_ports
        )
        log(f"MongoDB-compatible server: {self.mongo_url}   Redis: {self.redis_url}")

    def service_env(self) -> dict[str, str]:
        """What every service process gets: addresses, keys, secrets (as Kubernetes would give them)."""
        private, public = ensure_jwt_keys(self.data_dir / "secrets")
        client_secrets = ensure_service_secrets(
            self.data_dir / "secrets", [s.name for s in SERVICES if s.name != "auth"]
        )
        env = {
            "MONGO_URL": self.mongo_url,
            "REDIS_URL": self.redis_url,
            "JWT_PUBLIC_KEY_FILE": str(public),
            "SERVICE_CLIENTS": ",".join(f"{name}:{secret}" for name, secret in client_secrets.items()),
            "PYTHONUNBUFFERED": "1",
        }
        env.update(self.extra_env)
        if self.db_prefix:
            env["MONGO_DB_PREFIX"] = self.db_prefix
            env["REDIS_KEY_PREFIX"] = f"{self.db_prefix}fd:"
        for service in SERVICES:
            env[service.env_url_name] = f"http://127.0.0.1:{self.ports[service.name]}"
        env["_PRIVATE_KEY_FILE"] = str(private)
        env["_CLIENT_SECRETS"] = json.dumps(client_secrets)
        return env

    def start_services(self) -> None:
        if self.free_ports:
            self.ports = dict(zip((s.name for s in SERVICES), free_ports(len(SERVICES)), strict=True))
        else:
            self.ports = {s.name: s.port for s in SERVICES}
            busy = [p for p in self.ports.values() if port_open(p)]
            if busy:
                raise SystemExit(f"ports {busy} are in use: stop what uses them (or another `make run`) first")
        env_for = self.env_for

        log("creating indexes, collecting the pages' assets")
        # The services' indexes; the gateway's pages' assets under their hashed names (pages/staticfiles.py).
        setup_jobs = [
            self.manage(s.name, "collectstatic", "--noinput", "--clear", "-v", "0")
            if s.name == "gateway"
            else self.manage(s.name, "ensure_indexes")
            for s in SERVICES
        ]
        for job in setup_jobs:
            output, _ = job.communicate()
            if job.returncode != 0:
                raise SystemExit(f"{' '.join(job.args[2:])} failed:\n{output}")

        for service in SERVICES:
            self.start_process(
                service.name,
                uvicorn_command(
                    f"{service.module}.asgi:application",
                    self.ports[service.name],
                    "--no-server-header",
                    "--lifespan",
                    "on",  # the background loops start and stop with it (common/background.py)
                    "--timeout-graceful-shutdown",
                    "5",
                    *LISTEN_ARGS,
                    *(self._workers_args(service.name)),
                ),
                cwd=ROOT / service.directory,
                env=env_for(service),
            )
        for service, process in zip(SERVICES, self.processes[-len(SERVICES) :], strict=True):
            url = f"http://127.0.0.1:{self.ports[service.name]}/readyz"
            wait_for(
                lambda url=url, name=service.name: ready_as(url, name),
                timeout_s=60,
                what=f"{service.name} service",
                process=process,
            )

    def manage(self, service_name: str, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        """`python manage.py <args>` of one service, with that service's environment (its database,
        keys and credentials, as its server process has them); output on a pipe, as text."""
        service = next(s for s in SERVICES if s.name == service_name)
        return subprocess.Popen(
            [str(VENV_BIN / "python"), "manage.py", *args],
            cwd=ROOT / service.directory,
            env=child_env({**self.env_for(service), **(extra_env or {})}),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def create_operator(self, email: str, password: str) -> str:
        """An operator on this platform (the auth image's `create_operator`); returns what it printed,
        the `otpauth://` URI among it. The password goes in the environment, never on a command line."""
        job = self.manage("auth", "create_operator", "--email", email, extra_env={"OPERATOR_PASSWORD": password})
        output, _ = job.communicate()
        if job.returncode != 0:
            raise SystemExit(output.strip())
        return output

    def save_addresses(self, path: Path) -> None:
        """Where this platform's servers listen, for commands run beside it (`make operator`)."""
        path.write_text(
            json.dumps(
                {
                    "mongo_url": self.mongo_url,
                    "redis_url": self.redis_url,
                    "ports": self.ports,
                    "db_prefix": self.db_prefix,
                }
            )
        )

    def load_addresses(self, path: Path) -> None:
        addresses = json.loads(path.read_text())
        self.mongo_url, self.redis_url, self.ports = addresses["mongo_url"], addresses["redis_url"], addresses["ports"]

    def _workers_args(self, service_name: str) -> list[str]:
        if service_name not in self.workers:
            return []
        # uvicorn kills a worker that has not answered its supervisor for this long (default 5 s): a
        # worker busy with thousands of streams is not hung (docker/entrypoint.sh does the same).
        return ["--workers", str(self.workers[service_name]), "--timeout-worker-healthcheck", "30"]

    def env_for(self, service: Service) -> dict[str, str]:
        """The environment of one service process: shared settings plus its own credentials."""
        env = self.service_env()
        private_key_file = env.pop("_PRIVATE_KEY_FILE")
        client_secrets = json.loads(env.pop("_CLIENT_SECRETS"))
        if service.name == "gateway":
            env["STATIC_ROOT"] = str(self.data_dir / "static")  # this stack's own collected assets
        if service.name == "auth":
            env["JWT_PRIVATE_KEY_FILE"] = private_key_file
        else:
            env.pop("SERVICE_CLIENTS")
            env["SERVICE_CLIENT_ID"] = service.name
            env["SERVICE_CLIENT_SECRET"] = client_secrets[service.name]
        return env

    def start_instance(self, name: str, service_name: str, port: int, extra_env: dict[str, str]) -> Managed:
        """Another process of a service (benchmarks run a second, differently configured one)."""
        service = next(s for s in SERVICES if s.name == service_name)
        process = self.start_process(
            name,
            uvicorn_command(
                f"{service.module}.asgi:application", port, "--no-server-header", "--lifespan", "on", *LISTEN_ARGS
            ),
            cwd=ROOT / service.directory,
            env=child_env({**self.env_for(service), **extra_env}),
        )
        wait_for(
            lambda: ready_as(f"http://127.0.0.1:{port}/readyz", service_name), timeout_s=60, what=name, process=process
        )
        return process

    def process(self, name: str) -> Managed:
        return next(p for p in self.processes if p.name == name)

    def kill(self, name: str) -> None:
        """Kills a process abruptly (SIGKILL), as a crash would; for resilience tests."""
        process = self.process(name)
        process.signal(signal.SIGKILL)
        process.popen.wait()

    def pause(self, name: str) -> None:
        """Freezes a process (SIGSTOP), as a GC pause, an overloaded node or a partition would."""
        self.process(name).signal(signal.SIGSTOP)

    def resume(self, name: str) -> None:
        self.process(name).signal(signal.SIGCONT)

    def restart(self, name: str) -> Managed:
        """Starts a killed process again with the same command, directory, environment and user."""
        old = self.process(name)
        self.processes.remove(old)
        process = old.restarted(quiet=self.quiet)
        self.processes.append(process)
        return process

    def pid_of(self, name: str) -> int:
        return self.process(name).popen.pid

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
