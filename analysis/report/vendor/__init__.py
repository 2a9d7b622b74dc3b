"""Third-party browser assets inlined into report.html (uPlot), read from the package and checked by sha256."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

UPLOT_VERSION = "1.6.32"
CHECKSUMS = {
    "uplot/uPlot.iife.min.js": "19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f",
    "uplot/uPlot.min.css": "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04",
}


class VendorError(RuntimeError):
    """A vendored file is missing or differs from the pinned checksum."""


@cache
def asset(relative: str) -> str:
    """The text of a vendored file, verified against its pinned sha256."""
    path = resources.files(__package__).joinpath(relative)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VendorError(f"analysis/report/vendor/{relative} is missing ({exc}): reinstall the package") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != CHECKSUMS[relative]:
        raise VendorError(f"analysis/report/vendor/{relative}: sha256 {digest} differs from the pinned "
                          f"{CHECKSUMS[relative]} (uPlot {UPLOT_VERSION}); restore it (vendor/uplot/README.md)")
    return data.decode("utf-8")
