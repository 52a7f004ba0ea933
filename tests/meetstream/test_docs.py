"""The README stays a front page and every link in the docs leads somewhere in the
repository: a file that exists, and a heading that exists in it."""

import re
from pathlib import Path

from tests.support.processes import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(path: Path) -> set[str]:
    """GitHub's anchors of the file's headings."""
    return {
        re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in path.read_text().splitlines()
        if line.startswith("#")
    }


def test_the_readme_is_a_front_page():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250


def test_every_link_leads_to_a_file_and_heading_of_the_repository():
    broken = []
    for doc in DOCS:
        for target in LINK.findall(doc.read_text()):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            file, _, anchor = target.partition("#")
            path = (doc.parent / file).resolve() if file else doc
            inside = path.is_relative_to(ROOT)
            if not inside or not path.exists() or (anchor and anchor not in anchors(path)):
                broken.append(f"{doc.name}: {target}")
    assert broken == []


def test_nothing_points_outside_the_repository():
    outside = [doc.name for doc in DOCS if "../shared" in doc.read_text()]
    assert outside == []


def test_the_table_of_reasons_lists_every_reason_the_schema_names():
    from tests.support.contract import schema

    table = (ROOT / "docs" / "api.md").read_text().split("| `reason` | meaning |")[1]
    rows = table.split("\n\n")[0].splitlines()[2:]
    listed = {name for row in rows for name in re.findall(r"`(\w+)`", row.split("|")[1])}

    assert listed == set(schema()["components"]["schemas"]["StorageReasonEnum"]["enum"])
