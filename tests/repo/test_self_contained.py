"""The repository explains itself: no tracked file points at the team-only design notes outside it.

Users who clone the project do not have the sibling ``shared`` directory of the team's machines; what the code
relies on is written into ``docs/`` instead (``docs/agentflow.md``, ``docs/kubernetes-api.md``, ...).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Built from parts so this file does not match itself.
OUTSIDE = re.compile("|".join([r"\.\./" + "shared", "/work/" + "shared", r"(?<![\w/.-])" + "shared/" + "reference/"]))


def _tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def offenders(files: list[Path], root: Path = ROOT) -> list[str]:
    """``path:line`` of every line in ``files`` (under ``root``) that points outside the repository."""
    found = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_no_tracked_file_points_outside_the_repository():
    found = offenders(_tracked_files())
    assert not found, "write the fact into docs/ and point there instead:\n" + "\n".join(found)


def test_the_check_catches_each_form(tmp_path):
    good = tmp_path / "good.md"
    good.write_text("see docs/agentflow.md and localcluster/shared/thing.py\n", encoding="utf-8")
    assert offenders([good], tmp_path) == []
    for i, text in enumerate(["see ../" "shared/" "reference/x.md", "/work/" "shared/ARCHITECTURE.md",
                              "(shared/" "reference/agentflow.md)"]):
        bad = tmp_path / f"bad{i}.md"
        bad.write_text(f"intro\n{text}\n", encoding="utf-8")
        assert offenders([bad, good], tmp_path) == [f"bad{i}.md:2: {text}"]
