"""Report rendering speed: 1,000 scan findings and 500 incidents in HTML, PDF, Markdown and text.

Prints seconds for each format and the ratio to a baseline measured in the same run (json.dumps
of the same report data), so figures from a noisy machine can still be compared.

    .venv/bin/python bench/report.py
"""

from __future__ import annotations

import dataclasses
import json
import time

from devicecheck.core.helplines import region_for
from devicecheck.core.report import render
from devicecheck.core.report.model import (
    AttachmentRow,
    FindingRow,
    HelpLineRow,
    HelpRows,
    IncidentRow,
    Integrity,
    ReportData,
    SessionDetails,
    SeverityCount,
    SourceRow,
)

FINDINGS = 1000
INCIDENTS = 500
ROUNDS = 3


def _finding(number: int) -> FindingRow:
    return FindingRow(
        app=f"Monitor App {number}",
        kind="process",
        category="stalkerware",
        severity="high" if number % 3 else "medium",
        confidence="high",
        matched=f"process_names 'monitor-{number}' (indicator monitor-{number})",
        source="Echap stalkerware-indicators",
        advice="Before removing it: the other person may notice. Record it first.",
        recorded_at="2026-11-24T10:00:00+00:00",
        entry_id=f"{number:032x}",
        process_name=f"monitor-{number}",
        pid=str(1000 + number),
        username="alex",
        exe=f"/opt/monitor-{number}/bin/monitor-{number}",
        cmdline=f"/opt/monitor-{number}/bin/monitor-{number} --hidden",
        exe_sha256=f"{number:064x}",
        started_at="2026-11-24T09:00:00+00:00",
        detail=(("remote", "203.0.113.7:443"),),
    )


def _incident(number: int) -> IncidentRow:
    attachment = AttachmentRow(f"photo-{number}.jpg", f"{number:064x}", "2048", "", "", "")
    return IncidentRow(
        entry_id=f"{number:032x}",
        when=f"2026-10-{1 + number % 28:02d}T20:00:00+01:00",
        recorded_at="2026-11-24T10:00:00+00:00",
        author="self",
        what=f"Incident {number}: he turned up where I was; Zażółć gęślą jaźń 我的手机被监控了",
        where="Outside the library",
        how="in-person",
        who="ex-partner",
        witnesses="A friend",
        impact="Frightened to go out alone",
        police_ref="",
        attachments=(attachment,),
        amendments=(),
    )


def report_data() -> ReportData:
    region = region_for("GB")
    return ReportData(
        title="devicecheck report: findings and evidence",
        generated_at="2026-11-24T10:00:00+00:00",
        redacted=False,
        session=SessionDetails(
            "20261124-abcdef", "caseworker", "", "", None, "GB", (), "Org", "Name", "REF", ()
        ),
        consents=(),
        summary=(SeverityCount("high", 0, 667), SeverityCount("medium", 0, 333)),
        unsure_count=0,
        answers=(),
        findings=tuple(_finding(n) for n in range(FINDINGS)),
        incidents=tuple(_incident(n) for n in range(INCIDENTS)),
        attachments=(),
        log_notes=(),
        caseworker_notes=(),
        action_plan=(),
        help=HelpRows(
            region.name,
            region.emergency.text,
            region.emergency.notes,
            tuple(HelpLineRow(line.name, line.number, line.about, "") for line in region.lines),
        ),
        limits=("No check can prove that nobody is watching.",),
        sources=(SourceRow("echap", "Echap", "CC BY 4.0", "Echap", "", "1", True),),
        integrity=Integrity(True, True, 3000, "ab" * 32, "", "Intact."),
    )


def best_of(action) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    data = report_data()
    baseline = best_of(lambda: json.dumps(dataclasses.asdict(data)))
    print(f"report: {FINDINGS} findings, {INCIDENTS} incidents; best of {ROUNDS}")
    print(f"  baseline json.dumps of the same data: {baseline:.3f} s")
    for fmt in ("html", "md", "txt", "pdf"):
        seconds = best_of(lambda fmt=fmt: render(data, fmt))
        size = len(render(data, fmt))
        print(
            f"  {fmt:<4} {seconds:7.3f} s  {seconds / baseline:7.1f}x baseline  {size / 1e6:.1f} MB"
        )


if __name__ == "__main__":
    main()
