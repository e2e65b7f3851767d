"""Creates the platform's secrets once, for docker compose: the JWT key pair and one client
secret per service. Kubernetes gets them from the Helm chart's Secret instead."""

import secrets
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

target = Path(sys.argv[1] if len(sys.argv) > 1 else "/secrets")
if (target / "jwt-private.pem").exists():
    print("secrets exist; keeping them")
    sys.exit(0)
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
(target / "jwt-private.pem").write_bytes(
    key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
)
(target / "jwt-public.pem").write_bytes(
    key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
)
clients = {name: secrets.token_urlsafe(32) for name in ("customer", "restaurant", "order", "delivery")}
(target / "service-clients").write_text(",".join(f"{name}:{secret}" for name, secret in clients.items()))
for name, secret in clients.items():
    (target / f"{name}-client-secret").write_text(secret)
print("secrets created")
