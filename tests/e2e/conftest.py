from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def run_cli():
    """Run `tradeyard ...` in a subprocess, as a user would; returns the CompletedProcess."""

    def _run(
        *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tradeyard", *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=600,
            env={**os.environ, **env} if env else None,
        )

    return _run
