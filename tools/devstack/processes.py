"""Child processes of the tooling: started in their own session, output prefixed and logged,
stopped (whole process group) on Ctrl-C; plus small helpers to wait for ports and URLs."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

COLORS = ["\033[36m", "\033[35m", "\033[33m", "\033[32m", "\033[34m", "\033[91m", "\033[96m", "\033[95m"]


def log(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def child_env(extra: dict | None = None) -> dict[str, str]:
    """The environment for a child process; a caller's Django settings module must not leak into it."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST")}
    env.update(extra or {})
    return env


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` different ports free now. All are held until all are chosen: the kernel may hand out a
    port it has just released, and two servers given one port make the second's readiness check
    reach the first (seen once in CI: the features talked to the customer service as the gateway)."""
    with contextlib.ExitStack() as held:
        ports = []
        for _ in range(count):
            sock = held.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def http_status(url: str, timeout: float = 1.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


def ready_as(url: str, service: str, timeout: float = 1.0) -> bool:
    """Whether `url` (a service's /readyz) answers ready as `service`, not as some other server that
    holds the port."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200 and json.loads(response.read()).get("service") == service
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_for(predicate, *, timeout_s: float, what: str, process: Managed | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.popen.poll() is not None:
            raise SystemExit(f"{what} exited with code {process.popen.returncode} while starting")
        if predicate():
            return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not become ready within {timeout_s:.0f}s")


def unprivileged_user(name: str) -> str | None:
    """The account to run `name`'s server as when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(name)
    except KeyError:
        raise SystemExit(
            f"running as root needs the '{name}' system user (Debian's postgresql package creates it)"
        ) from None
    return name


def run_as(user: str | None) -> dict:
    """subprocess arguments that drop to `user` entirely: uid, gid and no supplementary groups of
    root (keeping root's gid would make root-owned directories' group bits apply)."""
    if user is None:
        return {}
    account = pwd.getpwnam(user)
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def give_to(user: str | None, path: Path) -> None:
    """Lets `user` own `path` and reach it through its parents (a temporary directory is 0700)."""
    if user is None:
        return
    account = pwd.getpwnam(user)
    os.chown(path, account.pw_uid, account.pw_gid)
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


class Managed:
    """A child process in its own session whose output is prefixed with its name.

    `stop_signal` goes to the whole process group unless `signal_group` is off: PostgreSQL wants
    SIGINT (fast shutdown) at its postmaster only, which then stops its own children.
    """

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
        user: str | None = None,
        stop_signal: int = signal.SIGTERM,
        signal_group: bool = True,
    ):
        self.name = name
        self.args = args
        self.cwd = cwd
        self.env = env
        self.color = color
        self.log_file = log_file
        self.user = user
        self.stop_signal = stop_signal
        self.signal_group = signal_group
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
            **run_as(user),
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

    def restarted(self, *, quiet: bool) -> Managed:
        """The same command, directory, environment and user, started again (after a kill)."""
        return Managed(
            self.name,
            self.args,
            env=self.env,
            cwd=self.cwd,
            color=self.color,
            quiet=quiet,
            log_file=self.log_file,
            user=self.user,
            stop_signal=self.stop_signal,
            signal_group=self.signal_group,
        )

    def signal(self, signum: int, *, group: bool = True) -> None:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(self.popen.pid, signum)
            else:
                os.kill(self.popen.pid, signum)

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.popen.poll() is None:
            self.signal(self.stop_signal, group=self.signal_group)
            try:
                self.popen.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait()
        # Children that outlived their leader (PostgreSQL backends after a SIGKILL) go too.
        self.signal(signal.SIGKILL)
        if self._log:
            self._log.close()
            self._log = None
