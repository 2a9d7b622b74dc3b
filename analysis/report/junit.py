"""junit.xml: one testcase per check; fail -> <failure>, invalid and incomplete -> <error>, skipped -> <skipped>."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from analysis import fmt
from analysis.report.model import Analysis


def render_junit(analysis: Analysis) -> bytes:
    checks = analysis.checks
    name = str(analysis.run.manifest.get("name", analysis.run.run_dir.name))
    counts = {v: sum(c.verdict == v for c in checks) for v in ("fail", "invalid", "skipped", "incomplete")}
    attrs = {
        "name": f"agentflow-report {name}",
        "tests": str(len(checks)),
        "failures": str(counts["fail"]),
        "errors": str(counts["invalid"] + counts["incomplete"]),
        "skipped": str(counts["skipped"]),
    }
    suites = ET.Element("testsuites", attrs)
    suite = ET.SubElement(suites, "testsuite", attrs)
    for check in checks:
        case = ET.SubElement(suite, "testcase", {"classname": f"agentflow.{check.kind}", "name": check.name})
        message = (
            f"measured {fmt.value(check.measured, check.unit)}, threshold {fmt.value(check.threshold, check.unit)}"
        )
        if check.verdict == "fail":
            ET.SubElement(case, "failure", {"message": message, "type": "SLOViolated"}).text = check.evidence.sentence
        elif check.verdict == "invalid":
            ET.SubElement(case, "error", {"message": message, "type": "InvalidRun"}).text = check.evidence.sentence
        elif check.verdict == "incomplete":
            ET.SubElement(case, "error", {"message": message, "type": "Incomplete"}).text = check.evidence.sentence
        elif check.verdict == "skipped":
            ET.SubElement(case, "skipped", {"message": check.evidence.sentence})
        out = ET.SubElement(case, "system-out")
        out.text = json.dumps(check.to_dict(), indent=1)
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"
