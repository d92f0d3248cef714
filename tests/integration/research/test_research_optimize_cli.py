"""`optimize` and `robustness` end to end, in subprocesses, on 3 days of real BTCUSDT bars."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

pytestmark = pytest.mark.slow

DATA = ["--symbols", "BTCUSDT", "--from", "2025-05-15", "--to", "2025-05-17T23:59"]
SPACE = """
[params.fast]
low = 5
high = 60

[params.slow]
low = 20
high = 240
step = 5
"""


def cli(command: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m tradeyard.cli.<command> ...` (the command's own entry point)."""
    return subprocess.run(
        [sys.executable, "-m", f"tradeyard.cli.{command}", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def space_file(tmp_path: Path) -> Path:
    path = tmp_path / "space.toml"
    path.write_text(SPACE)
    return path


def test_optimize_when_fifty_trials_on_two_processes_reports_out_of_sample(
    tmp_path: Path, space_file: Path
) -> None:
    journal = tmp_path / "study.journal"
    out_json, report = tmp_path / "out.json", tmp_path / "out.html"
    done = cli(
        "optimize",
        "--strategy", "sma_cross",
        "--space", str(space_file),
        *DATA,
        "--trials", "50",
        "--jobs", "2",
        "--storage", str(journal),
        "--study", "it",
        "--json", str(out_json),
        "--report", str(report),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(out_json.read_text())
    trials = doc["trials"]
    assert trials["complete"] + trials["pruned"] + trials["failed"] >= 50
    assert trials["pruned"] >= 1  # fast >= slow combinations exist in this space
    assert trials["failed"] == 0
    [fold] = doc["folds"]
    assert fold["train"]["to"] == fold["test"]["from"]
    assert fold["test_metrics"]["bars"] > 0
    assert set(fold["best_params"]) == {"fast", "slow"}
    assert fold["best_params"]["fast"] < fold["best_params"]["slow"]
    assert fold["best_value"] == pytest.approx(fold["train_metrics"]["sharpe"])
    assert len(fold["top_trials"]) == 10
    assert all("sharpe" in row["test"] for row in fold["top_trials"])
    assert doc["out_of_sample"] == fold["test_metrics"]
    assert "Top trials" in done.stdout
    assert "test (best #" in done.stdout

    # two worker processes really shared the study
    study = optuna.load_study(
        study_name="it",
        storage=optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(journal))
        ),
    )
    workers = {t.user_attrs.get("worker") for t in study.trials if "worker" in t.user_attrs}
    assert len(workers) == 2

    html = report.read_text()
    assert "<script src=" not in html  # plotly.js inlined, no CDN
    assert "Optimisation history" in html
    assert "Parameter importance" in html
    assert "train (best #" in html and "test (best #" in html


def test_optimize_when_walk_forward_reports_each_fold_and_the_chain(
    tmp_path: Path, space_file: Path
) -> None:
    out_json = tmp_path / "wf.json"
    done = cli(
        "optimize",
        "--strategy", "sma_cross",
        "--space", str(space_file),
        *DATA,
        "--trials", "12",
        "--walk-forward", "3",
        "--objective", "return_over_drawdown",
        "--json", str(out_json),
        "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(out_json.read_text())
    folds = doc["folds"]
    assert [f["fold"] for f in folds] == [1, 2, 3]
    for a, b in itertools.pairwise(folds):
        assert a["test"]["to"] == b["test"]["from"]  # test windows tile
    assert doc["out_of_sample"]["bars"] == sum(f["test_metrics"]["bars"] for f in folds)
    assert doc["out_of_sample"]["trades"] == sum(f["test_metrics"]["trades"] for f in folds)


def test_optimize_when_space_names_unknown_parameter_fails_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[params.fsat]\nlow = 5\nhigh = 50\n")
    done = cli("optimize", "--strategy", "sma_cross", "--space", str(bad), *DATA)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: bad.toml: unknown parameter(s) 'fsat'")
    assert "known: fast, slow, tolerance" in lines[0]


def test_optimize_when_resumed_with_another_objective_refuses_the_study(
    tmp_path: Path, space_file: Path
) -> None:
    journal = str(tmp_path / "s.journal")
    base = ["--strategy", "sma_cross", "--space", str(space_file), *DATA, "--trials", "3"]
    first = cli("optimize", *base, "--storage", journal, "--study", "x", "--quiet")
    assert first.returncode == 0, first.stderr
    again = cli("optimize", *base, "--storage", journal, "--study", "x", "--objective", "return")
    assert again.returncode == 2
    assert "differs in: objective" in again.stderr


def test_robustness_when_sma_cross_passes_and_reports_monte_carlo(tmp_path: Path) -> None:
    out_json = tmp_path / "robust.json"
    done = cli(
        "robustness",
        "--strategy", "sma_cross",
        *DATA,
        "--param", "fast=10",
        "--param", "slow=40",
        "--cuts", "3",
        "--simulations", "500",
        "--json", str(out_json),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(out_json.read_text())
    assert doc["lookahead"]["passed"] is True
    assert len(doc["lookahead"]["cuts"]) == 3
    mc = doc["monte_carlo"]
    assert mc["simulations"] == 500 and mc["trades"] > 0
    dd = mc["max_drawdown"]
    assert dd["p5"] <= dd["p50"] <= dd["p95"] <= 0.0
    assert "look-ahead: none found" in done.stdout
