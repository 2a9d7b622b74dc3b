"""report.html in real headless Chromium: the DOM it builds has the verdict table with every check and every
plot as an <img>; a screenshot is written to <run>/report/screenshot.png.

Needs the Debian package `chromium` (`apt-get install -y chromium`); skipped with that reason when absent.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from cluster_runs import write_chaos_run

from analysis.report import build_report

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PNG = b"\x89PNG\r\n\x1a\n"


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "/usr/bin/chromium"):
        found = shutil.which(name)
        if found:
            return found
    missing = "headless Chromium not installed: `make browser` or `apt-get install -y chromium` (Debian chromium)"
    if os.environ.get("CI") == "true":  # CI installs it (`make test` depends on `make browser`): never skip there
        pytest.fail(missing)
    pytest.skip(missing)


def run_chromium(args: list[str], profile: Path, timeout: float = 90.0) -> subprocess.CompletedProcess:
    """Run Chromium in its own process group; the whole group is killed if it outlives `timeout`."""
    proc = subprocess.Popen([chromium(), *FLAGS, f"--user-data-dir={profile}", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"chromium did not finish within {timeout} s")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


class Dom(HTMLParser):
    """The verdict table's rows (first cell = check name, second = verdict) and every <img> src."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.images: list[str] = []
        self._in_verdicts = self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id") == "verdicts":
            self._in_verdicts = True
        elif tag == "tr" and self._in_verdicts:
            self.rows.append([])
        elif tag == "td" and self._in_verdicts:
            self._in_cell = True
            self.rows[-1].append("")
        elif tag == "img":
            self.images.append(a.get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_verdicts = False
        elif tag == "td":
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell and self.rows:
            self.rows[-1][-1] += data


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    chromium()
    run = write_chaos_run(tmp_path_factory.mktemp("browser"), stuck=True)
    return run, build_report(run)


def test_dom_has_verdict_table_and_every_plot(report, tmp_path):
    _, outcome = report
    done = run_chromium(["--dump-dom", outcome.report_html.as_uri()], tmp_path / "profile")
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    dom = Dom()
    dom.feed(done.stdout.decode("utf-8"))
    rows = [r for r in dom.rows if r]
    assert [r[0] for r in rows] == [c.name for c in outcome.checks]
    assert [r[1] for r in rows] == [c.verdict.upper() for c in outcome.checks]
    plots = sorted(p.name for p in (outcome.report_dir / "plots").glob("*.png"))
    assert plots == ["cluster.png", "hpa.png", "latency.png", "survival_by_length.png", "throughput.png"]
    assert len(dom.images) == len(plots)
    for src in dom.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG)


def test_screenshot(report, tmp_path):
    run, outcome = report
    shot = run / "report" / "screenshot.png"
    done = run_chromium([f"--screenshot={shot}", "--window-size=1280,2400", "--hide-scrollbars",
                         outcome.report_html.as_uri()], tmp_path / "profile")
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    data = shot.read_bytes()
    assert data.startswith(PNG)
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2400)
    keep = os.environ.get("AFSUITE_KEEP_SCREENSHOT")
    if keep:  # for a human look: AFSUITE_KEEP_SCREENSHOT=/tmp/shot.png pytest tests/analysis/test_report_browser.py
        shutil.copyfile(shot, keep)
