"""Importing a 47 MB STIX bundle: goal under 5 s and under 500 MB.

    .venv/bin/python bench/stix.py [--megabytes 47] [--rounds 3]

The bundle is built from the bundled Echap ioc.yaml (a `malware` object per app; an
`indicator` with a `[domain-name:value = '...']`, `[ipv4-addr:value = '...']` or
`[app:id = '...']` pattern and an `indicates` relationship per value), copied under new ids
and names until it reaches the size. Each measurement runs in a fresh process, which reports
its own wall time and peak resident memory (ru_maxrss):

- baseline: `json.loads` of the file's text (what any JSON reader must pay);
- import: `devicecheck.core.indicators.manage.import_file` into an empty data folder (read
  with the byte cap, parse, check, group, keep a copy, and the usability summary).
Rounds alternate; medians are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ECHAP = ROOT / "src" / "devicecheck" / "data" / "indicators" / "echap" / "ioc.yaml"

MEASURE = """
import resource, sys, time
from pathlib import Path
started = time.perf_counter()
if sys.argv[1] == "baseline":
    import json
    json.loads(Path(sys.argv[2]).read_bytes().decode("utf-8"))
else:
    from devicecheck.core.datadir import DataDir
    from devicecheck.core.indicators.manage import import_file
    result = import_file(DataDir(Path(sys.argv[3])), Path(sys.argv[2]))
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
print(f"{elapsed} {peak}")
"""


def build_bundle(path: Path, megabytes: int) -> tuple[int, int]:
    """Write the bundle; returns (objects, bytes)."""
    apps = yaml.safe_load(ECHAP.read_text(encoding="utf-8"))
    objects: list[dict] = []
    size, copy, number = 0, 0, 0
    target = megabytes * 1024 * 1024
    while size < target:
        copy += 1
        for app in apps:
            malware_id = f"malware--{copy:04d}{number:08d}-0000-4000-8000-000000000000"
            number += 1
            malware = {
                "type": "malware",
                "spec_version": "2.1",
                "id": malware_id,
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
                "name": f"{app['name']} (copy {copy})",
                "is_family": False,
                "malware_types": ["spyware"],
            }
            objects.append(malware)
            size += len(json.dumps(malware))
            c2 = app.get("c2") or {}
            values = [("domain-name", d) for d in (app.get("websites") or [])]
            values += [("domain-name", d) for d in (c2.get("domains") or [])]
            values += [("ipv4-addr", ip) for ip in (c2.get("ips") or [])]
            values += [("app", p) for p in (app.get("packages") or [])]
            for kind, value in values:
                path_name = "id" if kind == "app" else "value"
                indicator_id = f"indicator--{copy:04d}{number:08d}-0000-4000-8000-000000000000"
                number += 1
                indicator = {
                    "type": "indicator",
                    "spec_version": "2.1",
                    "id": indicator_id,
                    "created": "2026-01-01T00:00:00.000Z",
                    "modified": "2026-01-01T00:00:00.000Z",
                    "indicator_types": ["malicious-activity"],
                    "pattern": f"[{kind}:{path_name} = '{value}']",
                    "pattern_type": "stix",
                    "pattern_version": "2.1",
                    "valid_from": "2026-01-01T00:00:00.000Z",
                }
                relationship = {
                    "type": "relationship",
                    "spec_version": "2.1",
                    "id": f"relationship--{copy:04d}{number:08d}-0000-4000-8000-000000000000",
                    "created": "2026-01-01T00:00:00.000Z",
                    "modified": "2026-01-01T00:00:00.000Z",
                    "relationship_type": "indicates",
                    "source_ref": indicator_id,
                    "target_ref": malware_id,
                }
                objects += [indicator, relationship]
                size += len(json.dumps(indicator)) + len(json.dumps(relationship))
    data = json.dumps({"type": "bundle", "id": "bundle--bench", "objects": objects})
    path.write_text(data, encoding="utf-8")
    return len(objects), len(data)


def measure(kind: str, bundle: Path, folder: Path) -> tuple[float, float]:
    output = subprocess.run(
        [sys.executable, "-c", MEASURE, kind, str(bundle), str(folder)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(output[0]), int(output[1]) / 1024  # seconds, MiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=47)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bundle = Path(folder) / "bundle.stix2"
        objects, size = build_bundle(bundle, args.megabytes)
        print(f"bundle: {size / 1024 / 1024:.1f} MB, {objects} objects")
        results: dict[str, list[tuple[float, float]]] = {"baseline": [], "import": []}
        for number in range(args.rounds):
            results["baseline"].append(measure("baseline", bundle, Path(folder)))
            home = Path(folder) / f"home-{number}"
            results["import"].append(measure("import", bundle, home))
    for kind, label in (("baseline", "json.loads only"), ("import", "indicators import")):
        seconds = statistics.median(t for t, _ in results[kind])
        peak = statistics.median(m for _, m in results[kind])
        print(f"{label}: {seconds:.2f} s, peak {peak:.0f} MB")
    print("goal for the import: under 5 s and under 500 MB")


if __name__ == "__main__":
    main()
