"""The README's first command: `tradeyard demo` runs the main job on embedded defaults."""

from __future__ import annotations

import json
from pathlib import Path


def test_demo_when_run_writes_report_and_prints_summary(run_cli, tmp_path: Path) -> None:
    report, out = tmp_path / "demo.html", tmp_path / "demo.json"
    proc = run_cli("demo", "--report", str(report), "--json", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Backtest summary" in proc.stdout
    assert "trend_trader" in proc.stdout and "meanrev_trader" in proc.stdout
    assert str(report.resolve()) in proc.stdout.replace("\n", "")
    html = report.read_text()
    assert "<script src=" not in html and "trend_trader" in html and "meanrev_trader" in html
    doc = json.loads(out.read_text())
    assert set(doc["traders"]) == {"trend_trader", "meanrev_trader"}
    for run in doc["traders"].values():
        assert run["metrics"]["trades"] > 0
        assert run["metrics"]["fees_paid"] > 0
    # bundled funding rates are applied to positions held across funding times
    assert doc["traders"]["trend_trader"]["metrics"]["funding_paid"] != 0
