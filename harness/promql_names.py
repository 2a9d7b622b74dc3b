"""The metric names a PromQL expression selects, found by lexing (no evaluation: Prometheus evaluates).

Used to ask Prometheus whether each name a rule depends on has any series during a run (`alerts.rule_health`).
Strings, label matchers (`{...}`), ranges (`[...]`) and the label lists of by/without/on/ignoring/group_left/
group_right are removed; an identifier followed by `(` is a function or aggregation; keywords and numbers are
left out; what remains are metric names.
"""

from __future__ import annotations

import re

__all__ = ["metric_names"]

_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
_BRACES = re.compile(r"\{[^{}]*\}")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_LABEL_LISTS = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", re.IGNORECASE)
_IDENT = re.compile(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or",
             "unless", "atan2", "inf", "nan", "start", "end"}


def metric_names(expr: str) -> list[str]:
    """Metric names in `expr`, in order of first appearance, each once."""
    text = _STRING.sub('""', expr)
    text = _BRACES.sub("{}", text)
    text = _BRACKETS.sub("[]", text)
    text = _LABEL_LISTS.sub(" ", text)
    out: list[str] = []
    for name, call in _IDENT.findall(text):
        if call or name.lower() in _KEYWORDS or name in out:
            continue
        out.append(name)
    return out
