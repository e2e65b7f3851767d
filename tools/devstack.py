#!/usr/bin/env python3
"""Runs the platform and its tests on one machine: the project's own tooling (ARCHITECTURE 3.2).

    python tools/devstack.py run     MongoDB-compatible server, Redis and the six services, in the foreground
    python tools/devstack.py test    the same servers on free ports, then every test suite
    python tools/devstack.py infra   only the MongoDB-compatible server and Redis

The MongoDB-compatible server is `MONGO_URL` when set, else `mongod` from PATH, else FerretDB
(built from the Go module proxy into .local/bin by `make setup`) on its SQLite backend. Redis is
`REDIS_URL` when set, else a local `redis-server`. Ctrl-C stops everything this started.
Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
LOCAL_BIN = ROOT / ".local" / "bin"
DATA_DIR = Path(os.environ.get("DEVSTACK_DATA_DIR", ROOT / ".data"))


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
TEST_SUITES = ["common", *[s.directory for s in SERVICES]]
COLORS = ["\033[36m", "\033[35m", "\033[33m", "\033[32m", "\033[34m", "\033[91m", "\033[96m", "\033[95m"]


def child_env(extra: dict | None = None) -> dict[str, str]:
    """The environment for a child process; a caller's Django settings module must not leak into it."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST")}
    env.update(extra or {})
    return env


def log(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def wait_for(predicate, *, timeout_s: float, what: str, process: Managed | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.popen.poll() is not None:
            raise SystemExit(f"{what} exited with code {process.popen.returncode} while starting")
        if predicate():
            return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not become ready within {timeout_s:.0f}s")


def http_status(url: str, timeout: float = 1.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


class Managed:
    """A child process in its own session whose output is prefixed with its name."""

    def __init__(
        self,
        name: str,
        args: list[str],
        *,
        env: dict | None = None,
        cwd: Path | None = None,
        color: str = "",
        quiet: bool = False,
        log_file: Path | None = None,
    ):
        self.name = name
        self.args = args
        self.cwd = cwd
        self.env = env
        self.color = color
        self.log_file = log_file
        self.popen = subprocess.Popen(
            args,
            cwd=cwd,
            env=child_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            text=True,
            bufsize=1,
        )
        self._prefix = f"{color}{name:>10} |\033[0m " if color and sys.stdout.isatty() else f"{name:>10} | "
        self._quiet = quiet
        self._log = log_file.open("a") if log_file else None
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        for line in self.popen.stdout:
            if self._log:
                self._log.write(line)
                self._log.flush()
            if not self._quiet:
                sys.stdout.write(self._prefix + line)
                sys.stdout.flush()

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        if self._log:
            self._log.close()


# --- dependencies ------------------------------------------------------------------------------


def ferretdb_binary() -> Path:
    binary = LOCAL_BIN / "ferretdb"
    if not binary.exists():
        build_ferretdb()
    return binary


def build_ferretdb() -> None:
    """Builds the FerretDB version pinned in tools/ferretdb/go.mod from the Go module proxy.

    FerretDB refuses to start without build/version/version.txt, which its module zip lacks
    (it is generated from git in their repository); vendoring lets us supply it.
    """
    module_dir = ROOT / "tools" / "ferretdb"
    version = _pinned_ferretdb_version(module_dir)
    log(f"building FerretDB {version} (first run only, takes a minute)")
    go = shutil.which("go")
    if go is None:
        raise SystemExit("Go is needed to build FerretDB: install Go, or set MONGO_URL, or put mongod on PATH")
    subprocess.run([go, "mod", "vendor"], cwd=module_dir, check=True)
    version_file = module_dir / "vendor" / "github.com" / "FerretDB" / "FerretDB" / "build" / "version" / "version.txt"
    version_file.write_text(version + "\n")
    LOCAL_BIN.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            go,
            "build",
            "-mod=vendor",
            "-trimpath",
            "-o",
            str(LOCAL_BIN / "ferretdb"),
            "github.com/FerretDB/FerretDB/cmd/ferretdb",
        ],
        cwd=module_dir,
        check=True,
    )


def _pinned_ferretdb_version(module_dir: Path) -> str:
    for line in (module_dir / "go.mod").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "github.com/FerretDB/FerretDB":
            return parts[1]
    raise SystemExit("tools/ferretdb/go.mod does not pin github.com/FerretDB/FerretDB")


def ensure_jwt_keys(directory: Path) -> tuple[Path, Path]:
    private, public = directory / "jwt-private.pem", directory / "jwt-public.pem"
    if not private.exists():
        directory.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                str(VENV_BIN / "python"),
                "-c",
                (
                    "import sys\n"
                    "from cryptography.hazmat.primitives import serialization as s\n"
                    "from cryptography.hazmat.primitives.asymmetric import rsa\n"
                    "k = rsa.generate_private_key(public_exponent=65537, key_size=2048)\n"
                    "open(sys.argv[1], 'wb').write(k.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()))\n"
                    "open(sys.argv[2], 'wb').write(k.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo))\n"
                ),
                str(private),
                str(public),
            ],
            check=True,
        )
        private.chmod(0o600)
    return private, public


def ensure_service_secrets(directory: Path) -> dict[str, str]:
    path = directory / "service-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    directory.mkdir(parents=True, exist_ok=True)
    values = {s.name: secrets.token_urlsafe(32) for s in SERVICES if s.name != "auth"}
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


# --- the stack --------------------------------------------------------------------------------


@dataclass
class Stack:
    """Databases and services of one platform, on fixed (run) or free (test) ports."""

    data_dir: Path
    free_ports: bool = False
    quiet: bool = False
    processes: list[Managed] = field(default_factory=list)
    mongo_url: str = ""
    redis_url: str = ""
    ports: dict[str, int] = field(default_factory=dict)
    # Keeps this platform's databases and keys apart from any other on the same servers.
    db_prefix: str = ""
    # Extra environment for every service (tests lift the per-address limits: every test client
    # shares 127.0.0.1).
    extra_env: dict[str, str] = field(default_factory=dict)

    def _start(self, name: str, args: list[str], **kwargs) -> Managed:
        color = COLORS[len(self.processes) % len(COLORS)]
        log_dir = self.data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        process = Managed(name, args, color=color, quiet=self.quiet, log_file=log_dir / f"{name}.log", **kwargs)
        self.processes.append(process)
        return process

    def start_databases(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.mongo_url = os.environ.get("MONGO_URL") or self._start_mongo()
        self.redis_url = os.environ.get("REDIS_URL") or self._start_redis()
        log(f"MongoDB-compatible server: {self.mongo_url}   Redis: {self.redis_url}")

    def _port(self, default: int) -> int:
        if self.free_ports:
            return free_port()
        if port_open(default):
            raise SystemExit(f"port {default} is in use: stop what uses it (or another `make run`) first")
        return default

    def _start_mongo(self) -> str:
        port = self._port(int(os.environ.get("DEVSTACK_MONGO_PORT", 27017)))
        if mongod := shutil.which("mongod"):
            path = self.data_dir / "mongod"
            path.mkdir(parents=True, exist_ok=True)
            process = self._start(
                "mongod", [mongod, "--dbpath", str(path), "--port", str(port), "--bind_ip", "127.0.0.1", "--quiet"]
            )
        else:
            path = self.data_dir / "ferretdb"
            path.mkdir(parents=True, exist_ok=True)
            process = self._start(
                "ferretdb",
                [str(ferretdb_binary())],
                env={
                    "FERRETDB_HANDLER": "sqlite",
                    "FERRETDB_SQLITE_URL": f"file:{path}/",
                    "FERRETDB_STATE_DIR": str(path),
                    "FERRETDB_LISTEN_ADDR": f"127.0.0.1:{port}",
                    "FERRETDB_TELEMETRY": "disable",
                    "FERRETDB_DEBUG_ADDR": "127.0.0.1:0",
                    "FERRETDB_LOG_LEVEL": "WARN",
                },
            )
        wait_for(lambda: port_open(port), timeout_s=30, what="MongoDB-compatible server", process=process)
        return f"mongodb://127.0.0.1:{port}/"

    def _start_redis(self) -> str:
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            raise SystemExit(
                "redis-server is not installed: run `make setup` (apt-get install redis-server), or set REDIS_URL"
            )
        port = self._port(int(os.environ.get("DEVSTACK_REDIS_PORT", 6379)))
        path = self.data_dir / "redis"
        path.mkdir(parents=True, exist_ok=True)
        process = self._start(
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

    def service_env(self) -> dict[str, str]:
        """What every service process gets: addresses, keys, secrets (as Kubernetes would give them)."""
        private, public = ensure_jwt_keys(self.data_dir / "secrets")
        client_secrets = ensure_service_secrets(self.data_dir / "secrets")
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
        self.ports = {s.name: (free_port() if self.free_ports else s.port) for s in SERVICES}
        if not self.free_ports:
            busy = [p for p in self.ports.values() if port_open(p)]
            if busy:
                raise SystemExit(f"ports {busy} are in use: stop what uses them (or another `make run`) first")
        env_for = self.env_for

        log("creating indexes")
        python = str(VENV_BIN / "python")
        index_jobs = [
            subprocess.Popen(
                [python, "manage.py", "ensure_indexes"],
                cwd=ROOT / s.directory,
                env=child_env(env_for(s)),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for s in SERVICES
            if s.name != "gateway"
        ]
        for job in index_jobs:
            output, _ = job.communicate()
            if job.returncode != 0:
                raise SystemExit(f"ensure_indexes failed:\n{output}")

        for service in SERVICES:
            self._start(
                service.name,
                [
                    str(VENV_BIN / "uvicorn"),
                    f"{service.module}.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.ports[service.name]),
                    "--no-access-log",
                    "--no-proxy-headers",
                    "--lifespan",
                    "off",
                    "--timeout-graceful-shutdown",
                    "5",
                ],
                cwd=ROOT / service.directory,
                env=env_for(service),
            )
        for service, process in zip(SERVICES, self.processes[-len(SERVICES) :], strict=True):
            url = f"http://127.0.0.1:{self.ports[service.name]}/readyz"
            wait_for(
                lambda url=url: http_status(url) == 200, timeout_s=60, what=f"{service.name} service", process=process
            )

    def env_for(self, service: Service) -> dict[str, str]:
        """The environment of one service process: shared settings plus its own credentials."""
        env = self.service_env()
        private_key_file = env.pop("_PRIVATE_KEY_FILE")
        client_secrets = json.loads(env.pop("_CLIENT_SECRETS"))
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
        process = self._start(
            name,
            [
                str(VENV_BIN / "uvicorn"),
                f"{service.module}.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--no-proxy-headers",
                "--lifespan",
                "off",
            ],
            cwd=ROOT / service.directory,
            env=child_env({**self.env_for(service), **extra_env}),
        )
        wait_for(
            lambda: http_status(f"http://127.0.0.1:{port}/readyz") == 200, timeout_s=60, what=name, process=process
        )
        return process

    def kill(self, name: str) -> None:
        """Kills a process abruptly (SIGKILL), as a crash would; for resilience tests."""
        process = next(p for p in self.processes if p.name == name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signal.SIGKILL)
        process.popen.wait()

    def restart(self, name: str) -> Managed:
        """Starts a killed process again with the same command, directory and environment."""
        old = next(p for p in self.processes if p.name == name)
        self.processes.remove(old)
        process = Managed(
            old.name, old.args, env=old.env, cwd=old.cwd, color=old.color, quiet=self.quiet, log_file=old.log_file
        )
        self.processes.append(process)
        return process

    def pid_of(self, name: str) -> int:
        return next(p.popen.pid for p in self.processes if p.name == name)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()


# --- commands ----------------------------------------------------------------------------------


def _run_forever(stack: Stack) -> None:
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    while not stopping.wait(0.5):
        for process in stack.processes:
            if process.popen.poll() is not None:
                log(f"{process.name} exited with code {process.popen.returncode}; stopping everything")
                stopping.set()
                break


def command_run(args) -> int:
    stack = Stack(data_dir=DATA_DIR)
    started = time.monotonic()
    try:
        stack.start_databases()
        stack.start_services()
        log(
            f"ready in {time.monotonic() - started:.1f}s: gateway {stack.gateway_url}  (docs: {stack.gateway_url}/docs)"
        )
        log("press Ctrl-C to stop")
        _run_forever(stack)
    finally:
        log("stopping")
        stack.stop()
        log("stopped")
    return 0


def command_infra(args) -> int:
    stack = Stack(data_dir=DATA_DIR)
    try:
        stack.start_databases()
        print(f"export MONGO_URL={stack.mongo_url} REDIS_URL={stack.redis_url}", flush=True)
        _run_forever(stack)
    finally:
        stack.stop()
    return 0


def _junit_counts(path: Path) -> tuple[int, int, int]:
    if not path.exists():
        return 0, 0, 0
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return total - failed - skipped, failed, skipped


def command_test(args) -> int:
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="fd-test-"))
    stack = Stack(data_dir=work, free_ports=True, quiet=True)
    results: list[tuple[str, int, int, int, int]] = []
    try:
        stack.start_databases()
        env = {
            **os.environ,
            "MONGO_URL": stack.mongo_url,
            "REDIS_URL": stack.redis_url,
            "DEVSTACK_DATA_DIR": str(work),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        suites = [] if args.only_e2e else (args.suites or TEST_SUITES)
        for suite in suites:
            if not (ROOT / suite).is_dir():
                raise SystemExit(f"unknown suite {suite}; known: {', '.join(TEST_SUITES)}")
            junit = work / f"{suite}.xml"
            log(f"pytest {suite}")
            code = subprocess.call(
                [str(VENV_BIN / "pytest"), f"--junitxml={junit}", *args.pytest_args], cwd=ROOT / suite, env=env
            )
            passed, failed, skipped = _junit_counts(junit)
            # pytest exits 5 when a suite collected nothing: that is a broken suite here.
            results.append((suite, code, passed, failed, skipped))
        if (args.e2e or args.only_e2e) and (ROOT / "features").is_dir() and not args.suites:
            log("behave features")
            junit_dir = work / "behave"
            code = subprocess.call(
                [
                    str(VENV_BIN / "behave"),
                    "--junit",
                    f"--junit-directory={junit_dir}",
                    "--format=progress",
                    "features",
                ],
                cwd=ROOT,
                env=env,
            )
            passed = failed = skipped = 0
            for report in junit_dir.glob("*.xml"):
                p, f, s = _junit_counts(report)
                passed, failed, skipped = passed + p, failed + f, skipped + s
            results.append(("features", code, passed, failed, skipped))
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"{'suite':<20} {'exit':>4} {'passed':>7} {'failed':>7} {'skipped':>8}")
    for suite, code, passed, failed, skipped in results:
        print(f"{suite:<20} {code:>4} {passed:>7} {failed:>7} {skipped:>8}")
    total_passed = sum(r[2] for r in results)
    total_failed = sum(r[3] for r in results)
    total_skipped = sum(r[4] for r in results)
    broken = [r[0] for r in results if r[1] != 0]
    print(f"took {time.monotonic() - started:.0f}s")
    print(f"{total_passed} passed, {total_failed} failed, {total_skipped} skipped")
    if broken:
        print(f"failing suites: {', '.join(broken)}")
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the whole platform in the foreground").set_defaults(func=command_run)
    commands.add_parser("infra", help="start only MongoDB-compatible server and Redis").set_defaults(func=command_infra)
    test = commands.add_parser("test", help="run every test suite against real servers")
    test.add_argument("suites", nargs="*", help=f"only these suites ({', '.join(TEST_SUITES)})")
    test.add_argument("--no-e2e", dest="e2e", action="store_false", help="skip the Behave features")
    test.add_argument("--only-e2e", action="store_true", help="run only the Behave features")
    test.add_argument("--pytest-args", nargs=argparse.REMAINDER, default=[], help="passed on to pytest")
    test.set_defaults(func=command_test)
    commands.add_parser("build-ferretdb", help="build FerretDB into .local/bin").set_defaults(
        func=lambda args: build_ferretdb() or 0
    )
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
