"""Fixtures of the analysis tests (builders live in analysis_runs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_runs import default_loadgen, default_stages, make_streams, write_run


@pytest.fixture
def full_run(tmp_path: Path) -> Path:
    """A healthy run with every file present."""
    return write_run(tmp_path, make_streams(), stages=default_stages(), loadgen=default_loadgen())
