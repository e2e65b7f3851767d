"""Creates the platform's secrets once, for docker compose: the JWT key pair and one client
secret per service. Kubernetes gets them from the Helm chart's Secret instead."""

import os
import secrets
import sys
from pathlib import Path

from common.keys import write_key_pair

APP_UID = 10001
target = Path(sys.argv[1] if len(sys.argv) > 1 else "/secrets")
if (target / "jwt-private.pem").exists():
    print("secrets exist; keeping them")
    sys.exit(0)
write_key_pair(target / "jwt-private.pem", target / "jwt-public.pem")
# Readable by the services' user (the image's uid 10001) only: the auth service signs with it.
os.chown(target / "jwt-private.pem", APP_UID, APP_UID)
clients = {name: secrets.token_urlsafe(32) for name in ("customer", "restaurant", "order", "delivery")}
(target / "service-clients").write_text(",".join(f"{name}:{secret}" for name, secret in clients.items()))
for name, secret in clients.items():
    (target / f"{name}-client-secret").write_text(secret)
print("secrets created")
