"""Compare two report folders output by output: the proof that a refactor (or another engine) changed nothing.

Text outputs (CSV, JSON, Markdown, HTML, SVG, XML, QDPX...) must be byte-identical; GeoPackages are compared layer
by layer (their bytes differ only by write time); PDFs by page count and the text of every page (WeasyPrint
stamps a creation time); ``manifest.json`` with its run-time fields (start time, seconds, paths, versions, output
hashes of the files compared above by content) set aside.

Run as a script before a commit that moves code::

    python -m tests.report_diff reports/before reports/after
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

#: manifest fields that describe the run rather than its results
RUN_FIELDS = {"started_utc", "seconds", "spec_path", "environment", "outputs", "audit", "circles_version"}
BINARY_BY_CONTENT = {".gpkg", ".pdf", ".png"}


def _manifest(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in RUN_FIELDS:
        data.pop(key, None)
    for stage in data.get("stages", []):
        stage.pop("seconds", None)
        for key in [k for k in stage if k.startswith("worker_")]:
            stage.pop(key)
    return data


def _gpkg_differences(a: Path, b: Path) -> list[str]:
    import pyogrio

    layers_a = [name for name, _ in pyogrio.list_layers(a)]
    layers_b = [name for name, _ in pyogrio.list_layers(b)]
    if layers_a != layers_b:
        return [f"layers {layers_a} != {layers_b}"]
    out = []
    for layer in layers_a:
        fa, fb = pyogrio.read_dataframe(a, layer=layer), pyogrio.read_dataframe(b, layer=layer)
        if not (fa.columns.equals(fb.columns) and fa.equals(fb)):
            out.append(f"layer {layer!r} differs")
    return out


def _pdf_differences(a: Path, b: Path) -> list[str]:
    from pypdf import PdfReader

    ra, rb = PdfReader(a), PdfReader(b)
    if len(ra.pages) != len(rb.pages):
        return [f"{len(ra.pages)} pages != {len(rb.pages)} pages"]
    return [
        f"page {i + 1} text differs"
        for i, (pa, pb) in enumerate(zip(ra.pages, rb.pages, strict=True))
        if pa.extract_text() != pb.extract_text()
    ]


def report_differences(before: Path, after: Path) -> list[str]:
    """Every difference between two report folders, one line each; empty when they hold the same results."""
    files_a = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    files_b = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    out = [f"only in {before}: {p}" for p in sorted(files_a - files_b)]
    out += [f"only in {after}: {p}" for p in sorted(files_b - files_a)]
    for rel in sorted(files_a & files_b):
        a, b = before / rel, after / rel
        if rel.name == "manifest.json":
            problems = [] if _manifest(a) == _manifest(b) else ["results differ"]
        elif rel.suffix == ".gpkg":
            problems = _gpkg_differences(a, b)
        elif rel.suffix == ".pdf":
            problems = _pdf_differences(a, b)
        else:
            problems = [] if a.read_bytes() == b.read_bytes() else ["bytes differ"]
        out += [f"{rel}: {p}" for p in problems]
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    before, after = Path(argv[0]), Path(argv[1])
    differences = report_differences(before, after)
    for line in differences:
        print(line)
    count = sum(1 for p in before.rglob("*") if p.is_file())
    print(f"{count} files compared: {'identical results' if not differences else f'{len(differences)} differences'}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
