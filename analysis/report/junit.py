"""junit.xml: one testcase per check, plus one for the run itself; the same meaning as the exit code.

  check fail        -> <failure type="SLOViolated">
  check invalid     -> <error type="InvalidRun">
  check incomplete  -> <error type="Incomplete">   (the check lacked data it needs)
  check skipped     -> <skipped>
  run interrupted   -> testcase `run.status` with <error type="Interrupted">
  run refused       -> testcase `run.status` with <error type="Refused">
  dry run           -> testcase `run.status` with <skipped message="DRY RUN ...">
The suite carries the overall verdict and exit code as properties (`afsuite.verdict`, `afsuite.exit_code`), so a
CI system reading only junit.xml draws the same conclusion as one reading the exit code.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from analysis import fmt
from analysis.report.model import Analysis

_CHECK_ELEMENT = {"fail": ("failure", "SLOViolated"), "invalid": ("error", "InvalidRun"),
                  "incomplete": ("error", "Incomplete")}
_STATUS_ELEMENT = {"interrupted": ("error", "Interrupted"), "refused": ("error", "Refused")}


def _status_case(suite: ET.Element, analysis: Analysis) -> int:
    """The `run.status` testcase for a run whose status decided the verdict; returns 1 if written."""
    status = analysis.status
    if not status.decides:
        return 0
    case = ET.SubElement(suite, "testcase", {"classname": "agentflow.run", "name": "run.status"})
    if status.state == "dry-run":
        ET.SubElement(case, "skipped", {"message": f"DRY RUN: {status.reason}"})
    else:
        element, kind = _STATUS_ELEMENT[status.state]
        ET.SubElement(case, element, {"message": f"{status.state.upper()}: {status.reason}", "type": kind})
    return 1


def render_junit(analysis: Analysis) -> bytes:
    checks = analysis.checks
    name = str(analysis.run.manifest.get("name", analysis.run.run_dir.name))
    counts = {v: sum(c.verdict == v for c in checks) for v in ("fail", "invalid", "incomplete", "skipped")}
    extra = {"interrupted": 0, "refused": 0, "dry-run": 0}
    if analysis.status.decides:
        extra[analysis.status.state] = 1
    attrs = {
        "name": f"agentflow-report {name}",
        "tests": str(len(checks) + sum(extra.values())),
        "failures": str(counts["fail"]),
        "errors": str(counts["invalid"] + counts["incomplete"] + extra["interrupted"] + extra["refused"]),
        "skipped": str(counts["skipped"] + extra["dry-run"]),
    }
    suites = ET.Element("testsuites", attrs)
    suite = ET.SubElement(suites, "testsuite", attrs)
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", {"name": "afsuite.verdict", "value": fmt.verdict(analysis.overall)})
    ET.SubElement(properties, "property", {"name": "afsuite.exit_code", "value": str(analysis.exit_code)})
    _status_case(suite, analysis)
    for check in checks:
        case = ET.SubElement(suite, "testcase", {"classname": f"agentflow.{check.kind}", "name": check.name})
        message = (
            f"measured {fmt.value(check.measured, check.unit)}, threshold {fmt.value(check.threshold, check.unit)}"
        )
        if check.verdict in _CHECK_ELEMENT:
            element, kind = _CHECK_ELEMENT[check.verdict]
            ET.SubElement(case, element, {"message": message, "type": kind}).text = check.evidence.sentence
        elif check.verdict == "skipped":
            ET.SubElement(case, "skipped", {"message": check.evidence.sentence})
        out = ET.SubElement(case, "system-out")
        out.text = json.dumps(check.to_dict(), indent=1)
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"
