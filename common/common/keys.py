"""The platform's one RSA key-pair generator: the auth service signs with the private key, every
other service verifies with the public one (ARCHITECTURE 4.1).

    python -m common.keys PRIVATE_PEM PUBLIC_PEM    writes a new pair (private file mode 0600)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def rsa_key_pair_pem(key_size: int = 2048) -> tuple[str, str]:
    """A new RSA key pair as (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private.decode(), public.decode()


def write_key_pair(private_path: Path, public_path: Path) -> None:
    private, public = rsa_key_pair_pem()
    # Created 0600 from the start: the private key is never readable by others, not even briefly.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(private)
    public_path.write_text(public)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    write_key_pair(Path(sys.argv[1]), Path(sys.argv[2]))
