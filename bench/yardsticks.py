"""What the platform's reads are measured against, started beside it on 127.0.0.1: the smallest
Django JSON view under the services' server settings (bench/reference_app.py), and nginx (Debian's)
proxying to the restaurant service, as the gateway does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import devstack

BENCH = Path(__file__).resolve().parent


def start_reference_app(stack) -> tuple[object, str]:
    """The reference app as one of the stack's processes (stopped with it): (its process, its URL)."""
    port = devstack.free_port()
    process = stack.start_process(
        "reference",
        devstack.uvicorn_command("reference_app:application", port, "--app-dir", str(BENCH), "--lifespan", "off"),
    )
    url = f"http://127.0.0.1:{port}/reference"
    devstack.wait_for(lambda: devstack.http_status(url) == 200, timeout_s=30, what="reference app")
    return process, url


def start_nginx(work: Path, upstream_port: int) -> tuple[subprocess.Popen, int]:
    """nginx with one worker and keep-alive connections to the upstream: (its process, its port)."""
    port = devstack.free_port()
    for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / folder).mkdir(parents=True, exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {work}/client_body; proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fastcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  upstream restaurant {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://restaurant;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }}
  }}
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(work)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    devstack.wait_for(lambda: devstack.port_open(port), timeout_s=10, what="nginx")
    return process, port
