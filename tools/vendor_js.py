"""The JavaScript the platform serves or tests with, from the npm registry, pinned: Leaflet for every
map of the pages, axe-core for the accessibility checks of the browser tests.

The files are committed (a fresh clone runs without fetching anything); this script is how they got
there and how to check or renew them. Each package is pinned by version and by the registry's own
integrity hash of its tarball; each file taken from it is listed with its SHA-256, which
`--check` (and a test, `gateway_service/pages/tests/test_vendored.py`) compares with the tree.

    python tools/vendor_js.py           # fetch the pinned tarballs, verify them, write the files
    python tools/vendor_js.py --check   # the committed files are exactly the pinned ones (offline)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's `dist.integrity` of the tarball
    into: str  # the folder, relative to the repository, its files go to
    files: dict[str, str]  # path in the tarball (under package/) -> SHA-256 of its content

    @property
    def tarball(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name.rsplit('/', 1)[-1]}-{self.version}.tgz"


PACKAGES = (
    Package(
        name="leaflet",
        version="1.9.4",
        integrity="sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
        into="gateway_service/pages/static/pages/vendor/leaflet",
        files={
            "LICENSE": "53e8dc25862014e4324741ca18fbe3611e11d42ef69f59f86ea8c5389647d4cb",
            "dist/leaflet.js": "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a",
            "dist/leaflet.js.map": "600a10dc5cd110de0699510d322afcbe01c7ca90b4c5f48adc20314c70aac753",
            "dist/leaflet.css": "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6",
            "dist/images/layers.png": "1dbbe9d028e292f36fcba8f8b3a28d5e8932754fc2215b9ac69e4cdecf5107c6",
            "dist/images/layers-2x.png": "066daca850d8ffbef007af00b06eac0015728dee279c51f3cb6c716df7c42edf",
            "dist/images/marker-icon.png": "574c3a5cca85f4114085b6841596d62f00d7c892c7b03f28cbfa301deb1dc437",
            "dist/images/marker-icon-2x.png": "00179c4c1ee830d3a108412ae0d294f55776cfeb085c60129a39aa6fc4ae2528",
            "dist/images/marker-shadow.png": "264f5c640339f042dd729062cfc04c17f8ea0f29882b538e3848ed8f10edb4da",
        },
    ),
    Package(
        name="axe-core",
        version="4.14.1",
        integrity="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        into="common/common/testing/vendor/axe-core",
        files={
            "LICENSE": "af175b9d96ee93c21a036152e1b905b0b95304d4ae8c2c921c7609100ba8df7e",
            "LICENSE-3RD-PARTY.txt": "4f8563870d0fca38bbc3e00b6f670cb7fa9f380ba9f26a7f7d1184a6b18b1653",
            "axe.min.js": "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c",
        },
    ),
)


def target(package: Package, name: str) -> Path:
    """Where a file of the package lives in the tree (`dist/` dropped: the folder is the package's)."""
    return ROOT / package.into / name.removeprefix("dist/")


def _verified_tarball(package: Package) -> bytes:
    with urllib.request.urlopen(package.tarball, timeout=60) as response:
        content = response.read()
    algorithm, expected = package.integrity.split("-", 1)
    if base64.b64encode(hashlib.new(algorithm, content).digest()).decode() != expected:
        raise SystemExit(f"{package.name}@{package.version}: the tarball does not match its pinned integrity")
    return content


def fetch(package: Package) -> None:
    with tarfile.open(fileobj=io.BytesIO(_verified_tarball(package))) as archive:
        for name, digest in package.files.items():
            content = archive.extractfile(f"package/{name}").read()
            if digest and hashlib.sha256(content).hexdigest() != digest:
                raise SystemExit(f"{package.name}: {name} differs from the digest listed here")
            path = target(package, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            print(f"{path.relative_to(ROOT)}  sha256 {hashlib.sha256(content).hexdigest()}")


def differences() -> list[str]:
    """Files of the tree that are missing or not the pinned ones."""
    wrong = []
    for package in PACKAGES:
        for name, digest in package.files.items():
            path = target(package, name)
            if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                wrong.append(str(path.relative_to(ROOT)))
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare the committed files with the pins")
    if parser.parse_args().check:
        wrong = differences()
        print("\n".join(f"not the pinned file: {path}" for path in wrong) or "vendored files are the pinned ones")
        sys.exit(1 if wrong else 0)
    for package in PACKAGES:
        fetch(package)


if __name__ == "__main__":
    main()
