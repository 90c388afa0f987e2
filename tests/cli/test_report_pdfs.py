"""`preview --pdf` and `replay --pdf`: readable PDF reports, rendered page by page (poppler)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from tests.cli.helpers import DEMO_SCENARIO, cli, write_json

Capsys = pytest.CaptureFixture[str]
POPPLER = shutil.which("pdftoppm") is not None and shutil.which("pdftotext") is not None
needs_poppler = pytest.mark.skipif(
    not POPPLER, reason="poppler-utils (pdftoppm, pdftotext) not installed: apt-get install -y "
    "poppler-utils",
)  # fmt: skip


def incident_scenario(tmp_path: Path) -> Path:
    """The demo with a partial fill, a broker refusal and an order that never fills."""
    scenario = json.loads(DEMO_SCENARIO.read_text())
    scenario["fills"]["partial"] = ["VTI"]
    scenario["fills"]["never_fill"] = ["META"]
    scenario["fills"]["refuse"] = {"TSLA": "potential wash trade detected"}
    return write_json(tmp_path / "scenario.json", scenario)


def render(pdf: Path) -> tuple[int, list[Path], str]:
    """(page count, one PNG per page, the extracted text)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    match = re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE)
    assert match is not None
    pages = int(match.group(1))
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(pdf.with_suffix(""))], check=True)
    pngs = sorted(pdf.parent.glob(f"{pdf.stem}-*.png"))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return pages, pngs, unicodedata.normalize("NFKC", text)  # "ﬁ" ligatures -> "fi"


def word_boxes(pdf: Path) -> tuple[float, list[tuple[float, float, str]]]:
    """(page width in pt, [(height, x_max, word)]) of every word (pdftotext -bbox)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    page = re.search(r'<page width="([\d.]+)"', out)
    assert page is not None
    words = [
        (float(y1) - float(y0), float(x1), word)
        for _x0, y0, x1, y1, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            out,
        )
    ]
    return float(page.group(1)), words


def check_readable(pdf: Path) -> None:
    """Body text of at least 9 pt (word boxes of a 9 pt font are ~10.5 pt high), inside the page."""
    width, words = word_boxes(pdf)
    heights = sorted(height for height, _x, _w in words)
    median = heights[len(heights) // 2]
    assert median >= 10, f"median word height {median:.1f} pt: body text below 9 pt"
    margin = 12 / 25.4 * 72  # 12 mm
    assert max(x for _h, x, _w in words) <= width - margin + 1, "a table is wider than the page"


@needs_poppler
def test_preview_pdf_is_readable_with_page_numbers(capsys: Capsys, tmp_path: Path) -> None:
    pdf = tmp_path / "review.pdf"
    result = cli(capsys, "preview", "demo", "--pdf", pdf, "--format", "json")
    assert result.code == 0, result.err
    json.loads(result.out)  # --pdf leaves the JSON on stdout intact
    pages, pngs, text = render(pdf)
    assert pages >= 2 and len(pngs) == pages
    for heading in ("Pre-trade review", "Funding of the buy phase", "Sell phase (5 legs)"):
        assert heading in text
    assert "Buy phase (8 legs)" in text and "Problems" in text
    assert "$38,750.18" in text  # VTI's planned sell
    assert "below the $1.00 minimum order ($0.73)" in text  # KO in plain words, with the code
    assert "whole shares only: 8 sh = $7,250.40" in text  # COST is not fractionable
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    check_readable(pdf)


@needs_poppler
def test_run_report_pdf_shows_planned_vs_filled_and_every_incident(
    capsys: Capsys, tmp_path: Path
) -> None:
    scenario, journal = incident_scenario(tmp_path), tmp_path / "j.db"
    run = cli(
        capsys, "run", "demo", "--yes", "--scenario", scenario, "--journal", journal,
        "--phase-timeout", "1", "--format", "json",
    )  # fmt: skip
    assert run.code == 3, run.err
    head = run.json()["journal_head"]
    pdf = tmp_path / "run.pdf"
    replay = cli(capsys, "replay", journal, "--pdf", pdf)
    assert replay.code == 0, replay.err
    pages, pngs, text = render(pdf)
    assert pages >= 2 and len(pngs) == pages
    flat = " ".join(text.split())
    for heading in ("Run report", "Totals", "Planned vs filled", "Funding recomputation"):
        assert heading in flat
    assert "Problems (" in flat and "Journal head:" in flat
    assert head in flat.replace(" ", "")  # the journal head, as `run` printed it
    assert "approved by" in flat  # the approver
    assert "rest canceled by the broker" in flat  # VTI: partly filled, then canceled
    assert "canceled at the phase timeout" in flat  # META never filled
    assert "refused by the broker: potential wash trade detected" in flat  # TSLA
    assert "$38,750.18" in flat  # VTI planned
    sold = run.json()["sell_proceeds"]
    assert f"${float(sold):,.2f}" in flat  # the filled sells
    check_readable(pdf)


def test_pdf_to_a_missing_folder_is_exit_2_before_anything(capsys: Capsys, tmp_path: Path) -> None:
    result = cli(capsys, "preview", "demo", "--pdf", tmp_path / "no" / "r.pdf")
    assert result.code == 2 and "--pdf" in result.err and "Traceback" not in result.err
    result = cli(capsys, "replay", tmp_path / "none.db", "--pdf", tmp_path / "no" / "r.pdf")
    assert result.code == 2 and "--pdf" in result.err


def test_preview_without_pdf_does_not_import_qt(tmp_path: Path) -> None:
    code = (
        "import sys; from console.cli import main; "
        "rc = main(['preview', 'demo', '--format', 'json']); "
        "assert 'PySide6' not in sys.modules, 'Qt imported'; sys.exit(rc)"
    )
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
