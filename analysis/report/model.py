"""Moved: the verdict engine and its `Analysis` live in `analysis/verdict.py` (the pipeline in
`analysis/pipeline.py`); `report/` only renders. This name stays for the report writers that import it."""

from __future__ import annotations

from analysis.verdict import Analysis, analyse, error_rate, finite

__all__ = ["Analysis", "analyse", "error_rate", "finite"]
