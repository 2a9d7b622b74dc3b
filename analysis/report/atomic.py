"""Atomic file writes: write a temporary file in the target directory, fsync, then rename over the target.

A reader never sees a half-written file, and a failure leaves the previous file (or none) in place and no
temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[IO[bytes]]:
    """Yield a binary file; on normal exit it replaces `path`, on an exception it is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    with atomic_writer(path) as handle:
        handle.write(data)


def write_all(root: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write every file (relative path -> bytes) atomically; return the paths in order."""
    written = []
    for relative, data in files.items():
        target = root / relative
        write_atomic(target, data)
        written.append(target)
    return written
