"""Report rendering and pack speed.

1. A report of 1,000 scan findings (sharing their advice, as a real scan's do) and 500
   incidents in HTML, PDF, Markdown and text.
2. An evidence pack of a 100-entry case with 20 images of 3 MB each, and the most memory the
   pack held at once (tracemalloc peak; it must stay below two images).

Each figure is printed with its ratio to a baseline measured in the same run (json.dumps of the
same report data; for the pack, copying the same files), so figures from a noisy machine can
still be compared.

    .venv/bin/python bench/report.py
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

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
PACK_ENTRIES = 100
PACK_IMAGES = 20
IMAGE_BYTES = 3 * 1024 * 1024
ADVICE = (
    "Before removing it: the other person may notice. Record it first (a photo of the screen), "
    "then talk to the National Stalking Helpline (0808 802 0300) about a safe time to act."
)


def _finding(number: int) -> FindingRow:
    return FindingRow(
        app=f"Monitor App {number}",
        kind="process",
        category="stalkerware",
        severity="high" if number % 3 else "medium",
        confidence="high",
        matched=f"program name 'monitor-{number}'",
        source="Echap stalkerware-indicators",
        advice=ADVICE,
        recorded_at="2026-11-24T10:00:00+00:00",
        seq=number + 1,
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
    attachment = AttachmentRow(f"photo-{number}.jpg", f"{number:064x}", "2048", "", "", None)
    return IncidentRow(
        number=number + 1,
        seq=2000 + number,
        when=f"2026-10-{1 + number % 28:02d}T20:00:00+01:00",
        recorded_at="2026-11-24T10:00:00+00:00",
        author="self",
        what=f"Incident {number}: he turned up where I was; Zażółć gęślą jaźń 我的手机被监控了",
        where="Outside the library",
        how="in-person",
        who="ex-partner",
        witnesses="A friend",
        impact="Frightened to go out alone",
        reported_to="",
        police_ref="",
        attachments=(attachment,),
        amendments=(),
    )


def report_data(findings: int = FINDINGS, incidents: int = INCIDENTS) -> ReportData:
    region = region_for("GB")
    return ReportData(
        title="Record of technology-facilitated stalking and abuse",
        generated_at="2026-11-24T10:00:00+00:00",
        redacted=False,
        session=SessionDetails(
            "20261124-abcdef", "caseworker", "", "", None, "GB", (), "Org", "Name", "REF", ()
        ),
        consents=(),
        summary=(SeverityCount("high", 0, 667), SeverityCount("medium", 0, 333)),
        unsure_count=0,
        answers=(),
        findings=tuple(_finding(n) for n in range(findings)),
        incidents=tuple(_incident(n) for n in range(incidents)),
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


def best_cpu_of(action) -> float:
    """CPU seconds of this process: less disturbed than wall time on a shared, loaded machine."""
    times = []
    for _ in range(ROUNDS):
        start = time.process_time()
        action()
        times.append(time.process_time() - start)
    return min(times)


def bench_render() -> None:
    data = report_data()
    baseline = best_of(lambda: json.dumps(dataclasses.asdict(data)))
    print(f"report: {FINDINGS} findings, {INCIDENTS} incidents; best of {ROUNDS}")
    print(f"  baseline json.dumps of the same data: {baseline:.3f} s")
    for fmt in ("html", "md", "txt", "pdf"):
        seconds = best_of(lambda fmt=fmt: render(data, fmt))
        cpu = best_cpu_of(lambda fmt=fmt: render(data, fmt))
        size = len(render(data, fmt))
        print(
            f"  {fmt:<4} {seconds:7.3f} s  {seconds / baseline:7.1f}x baseline  "
            f"(cpu {cpu:.3f} s)  {size / 1e6:.1f} MB"
        )


def _pack_case(root: Path):
    from PIL import Image

    from devicecheck.core.datadir import DataDir
    from devicecheck.core.evidence import EvidenceLog, Incident
    from devicecheck.core.sessions import SessionStore

    home = DataDir(root / "home")
    session = SessionStore(home).create()
    log = EvidenceLog(home)
    pictures = root / "pictures"
    pictures.mkdir()
    for number in range(PACK_IMAGES):
        picture = pictures / f"photo-{number}.jpg"
        Image.new("RGB", (1200, 900), (number * 10 % 255, 80, 120)).save(picture, "JPEG")
        with open(picture, "ab") as handle:  # a camera-sized file: 3 MB
            handle.write(os.urandom(IMAGE_BYTES - picture.stat().st_size))
        log.add_incident(
            Incident(what=f"Incident {number}", when="2026-11-21T09:15:00+00:00"),
            attachments=[picture],
            session=session.id,
        )
    for number in range(PACK_ENTRIES - PACK_IMAGES):
        log.add_note(f"note {number}", session=session.id)
    return home, session, pictures


def bench_pack() -> None:
    from devicecheck.core.report.pack import write_pack

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        home, session, pictures = _pack_case(root)
        copies = root / "copies"

        def copy_files() -> None:
            shutil.rmtree(copies, ignore_errors=True)
            shutil.copytree(pictures, copies)

        baseline = best_of(copy_files)
        seconds = best_of(lambda: write_pack(home, session, root / "pack.zip"))
        tracemalloc.start()
        write_pack(home, session, root / "pack.zip")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        size = (root / "pack.zip").stat().st_size
        print(f"pack: {PACK_ENTRIES} entries, {PACK_IMAGES} images of 3 MB; best of {ROUNDS}")
        print(f"  baseline copying the images: {baseline:.3f} s")
        print(f"  pack {seconds:7.3f} s  {seconds / baseline:7.1f}x baseline  {size / 1e6:.1f} MB")
        print(f"  peak Python memory while packing: {peak / 1e6:.1f} MB (one image is 3.1 MB)")


def main() -> None:
    bench_render()
    if "--no-pack" not in sys.argv:
        bench_pack()


if __name__ == "__main__":
    main()
