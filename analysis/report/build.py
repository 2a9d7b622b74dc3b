"""build_report: load a run directory, evaluate every check, write report/ (md, html, plots, json, junit).

Everything is rendered in memory first; only then is each file written atomically (temp file + rename), so a
failure while computing or rendering leaves the previous report untouched and nothing half-written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analysis.checks import CheckResult
from analysis.report.alerts_plot import render_alert_plots
from analysis.report.atomic import write_all
from analysis.report.cluster_plots import render_cluster_plots
from analysis.report.hpa_plot import render_hpa_plots
from analysis.report.html import render_html
from analysis.report.junit import render_junit
from analysis.report.markdown import render_markdown
from analysis.report.model import Analysis, analyse
from analysis.report.plots import render_plots
from analysis.report.summary import render_summary
from analysis.report.survival_plot import render_survival_plots
from analysis.rundir import load_for_report
from analysis.schema import REPORT_DIR
from analysis.windows import WINDOW_S


@dataclass(frozen=True)
class ReportOutcome:
    report_dir: Path
    files: list[Path]
    overall: str
    exit_code: int
    checks: list[CheckResult]
    status_line: str = ""

    @property
    def report_md(self) -> Path:
        return self.report_dir / "report.md"

    @property
    def report_html(self) -> Path:
        return self.report_dir / "report.html"


def render(analysis: Analysis) -> dict[str, bytes]:
    """Every report file, relative to report/, as bytes."""
    plots = {**render_plots(analysis), **render_cluster_plots(analysis), **render_hpa_plots(analysis),
             **render_survival_plots(analysis), **render_alert_plots(analysis)}
    files = {f"plots/{name}": png for name, (_, png) in plots.items()}
    files["report.md"] = render_markdown(analysis, list(plots)).encode("utf-8")
    files["report.html"] = render_html(analysis, plots).encode("utf-8")
    files["junit.xml"] = render_junit(analysis)
    files["summary.json"] = render_summary(analysis).encode("utf-8")
    return files


def build_report(run_dir: Path, window_s: float = WINDOW_S) -> ReportOutcome:
    """Write <run_dir>/report/ and return where it went with the overall verdict and exit code.

    Raises analysis.rundir.RunDirError (or its ProfileError) naming the file/field when the input is bad.
    """
    run_dir = Path(run_dir)
    analysis = analyse(load_for_report(run_dir), window_s)
    files = render(analysis)
    report_dir = run_dir / REPORT_DIR
    written = write_all(report_dir, files)
    reason = analysis.status.reason if analysis.status.decides else ""
    return ReportOutcome(report_dir, written, analysis.overall, analysis.exit_code, analysis.checks, reason)
