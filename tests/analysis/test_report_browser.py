"""report.html as a person sees it, in real headless Chromium driven over the DevTools protocol (tests/analysis/cdp.py):
no console errors; the verdict and the family cards fit the first 1400x900 screen; the timeline has charts with
data; hovering a chart shows a tooltip; clicking a check's evidence window zooms the timeline to it. A screenshot
is saved to <run>/report/screenshot.png (copy it elsewhere with AFSUITE_KEEP_SCREENSHOT=/path.png).

Needs the Debian package `chromium` (`make browser`); skipped with that reason when absent (failed under CI=true).
"""

from __future__ import annotations

import base64
import os
import shutil
import struct

import pytest
from cdp import Browser
from cluster_runs import write_chaos_run

from analysis.report import build_report

PNG = b"\x89PNG\r\n\x1a\n"
WIDTH, HEIGHT = 1400, 900


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "/usr/bin/chromium"):
        found = shutil.which(name)
        if found:
            return found
    missing = "headless Chromium not installed: `make browser` or `apt-get install -y chromium` (Debian chromium)"
    if os.environ.get("CI") == "true":  # CI installs it (`make test` depends on `make browser`): never skip there
        pytest.fail(missing)
    pytest.skip(missing)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    executable = chromium()
    run = write_chaos_run(tmp_path_factory.mktemp("browser"), stuck=True)
    outcome = build_report(run)
    with Browser(executable, tmp_path_factory.mktemp("profile")) as browser:
        browser.open(outcome.report_html.as_uri(), WIDTH, HEIGHT)
        browser.wait_for("document.getElementById('timeline').getAttribute('data-ready')")
        yield run, outcome, browser


def box(browser: Browser, selector: str) -> dict:
    return browser.evaluate(f"(() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect();"
                            "return {x: r.x, y: r.y, w: r.width, h: r.height}; })()")


def test_no_console_errors_and_the_first_screen_answers_can_we_ship(page):
    _, outcome, browser = page
    assert browser.console_errors() == []
    verdict = box(browser, "#overall")
    assert browser.evaluate("document.getElementById('overall').dataset.verdict") == outcome.overall == "fail"
    cards = browser.evaluate("[...document.querySelectorAll('#cards .card')].map(c => ("
                             "{family: c.dataset.family, status: c.dataset.status, bottom: c.getBoundingClientRect()"
                             ".bottom, key: c.querySelector('.key').textContent}))")
    families = {c["family"] for c in cards}
    assert {"validity", "slo", "hpa", "pdb", "placement", "shutdown", "readiness", "experiments"} <= families
    assert verdict["y"] >= 0 and max(c["bottom"] for c in cards) <= HEIGHT  # no scrolling to know whether to ship
    pdb = next(c for c in cards if c["family"] == "pdb")
    assert pdb["status"] == "FAIL" and "pdb.drains" in pdb["key"]  # the stuck drain of the known-bad run


def test_timeline_has_data_and_hover_shows_a_tooltip(page):
    _, _, browser = page
    panels = browser.evaluate("afTimeline.plots.map(p => ({title: p.root.querySelector('.u-title').textContent,"
                              " points: p.data[0].length, series: p.data.length - 1}))")
    titles = " | ".join(p["title"] for p in panels)
    for wanted in ("Streams per second", "Error rate", "TTFT and ITL", "E2E", "Replicas", "Disruption budget"):
        assert wanted in titles
    assert all(p["points"] > 1 and p["series"] >= 1 for p in panels)
    over = box(browser, "#timeline .tl-panel[data-panel='load'] .u-over")
    browser.evaluate("document.getElementById('timeline').scrollIntoView()")
    over = box(browser, "#timeline .tl-panel[data-panel='load'] .u-over")
    x, y = over["x"] + over["w"] * 0.5, over["y"] + over["h"] * 0.5
    browser.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
    tip = browser.wait_for("(() => { const t = document.querySelector('.tl-tip');"
                           " return t && t.style.display === 'block' && t.textContent; })()")
    assert "started/s" in tip and "/s" in tip


def test_clicking_a_check_zooms_the_timeline_to_its_evidence_window(page):
    _, outcome, browser = page
    full = browser.evaluate("afTimeline.range()")
    check = next(c for c in outcome.checks if c.name == "pdb.drains")
    start, end = check.evidence.window_s
    browser.evaluate("document.querySelector('#attention [data-check=\"pdb.drains\"] .zoom').click()")
    zoomed = browser.wait_for(f"(() => {{ const r = afTimeline.range(); return r[1] - r[0] < {full[1] - full[0]}"
                              " && r; })()")
    assert zoomed[0] <= start and zoomed[1] >= end and zoomed[1] - zoomed[0] < full[1] - full[0]
    ranges = browser.evaluate("afTimeline.plots.map(p => [p.scales.x.min, p.scales.x.max])")
    assert all(r == ranges[0] for r in ranges)  # every chart follows: one shared time axis
    browser.evaluate("document.getElementById('timeline-reset').click()")
    assert browser.wait_for(f"afTimeline.range()[1] - afTimeline.range()[0] >= {full[1] - full[0] - 1e-6}")


def test_screenshot(page):
    run, _, browser = page
    browser.evaluate("window.scrollTo(0, 0)")
    shot = run / "report" / "screenshot.png"
    data = base64.b64decode(browser.call("Page.captureScreenshot", format="png")["data"])
    shot.write_bytes(data)
    assert data.startswith(PNG)
    assert struct.unpack(">II", data[16:24]) == (WIDTH, HEIGHT)
    keep = os.environ.get("AFSUITE_KEEP_SCREENSHOT")
    if keep:  # for a human look: AFSUITE_KEEP_SCREENSHOT=/tmp/shot.png pytest tests/analysis/test_report_browser.py
        shutil.copyfile(shot, keep)
