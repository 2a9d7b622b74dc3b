"""`afsuite sweep` rejects bad input before it starts anything (exit 5, the option named)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("args, named", [
    (["--levels", "8,4"], "--levels"),
    (["--levels", "eight"], "--levels"),
    (["--variant", "nope"], "--variant"),
])
def test_bad_input_exits_5_naming_the_option(args, named):
    proc = subprocess.run([sys.executable, "-m", "harness", "sweep", *args], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert named in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
