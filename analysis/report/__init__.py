"""Reports of a run: report.md, report.html (self-contained), plots/*.png, summary.json, junit.xml."""

from analysis.report.build import ReportOutcome, build_report

__all__ = ["ReportOutcome", "build_report"]
