"""ARCHITECTURE.md's import rule, enforced: bots and strategies import only events, indicators,
bots (and the error types), and never anything that does I/O or reads the wall clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "tradeyard"
BOT_PARTS = ("bots", "strategies")
ALLOWED_TRADEYARD = {
    "tradeyard.events",
    "tradeyard.indicators",
    "tradeyard.bots",
    "tradeyard.errors",
    "tradeyard.strategies",
}
FORBIDDEN = {
    "ccxt",
    "sqlalchemy",
    "asyncio",
    "time",
    "datetime",
    "socket",
    "threading",
    "requests",
    "httpx",
    "aiohttp",
    "websockets",
    "zmq",
    "nats",
    "os",
    "subprocess",
    "pandas",
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


BOT_FILES = sorted(p for part in BOT_PARTS for p in (SRC / part).rglob("*.py"))


@pytest.mark.parametrize("path", BOT_FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_bot_module_when_parsed_imports_only_allowed_parts(path: Path) -> None:
    for name in _imports(path):
        root = name.split(".")[0]
        assert root not in FORBIDDEN, (
            f"{path.name} imports {name}: bots must not do I/O or read the clock"
        )
        if root == "tradeyard":
            part = ".".join(name.split(".")[:2])
            assert part in ALLOWED_TRADEYARD, (
                f"{path.name} imports {name}: bots may import only {sorted(ALLOWED_TRADEYARD)}"
            )


def test_bot_files_when_listed_are_found() -> None:
    assert len(BOT_FILES) >= 8


def test_only_backtest_and_cli_when_scanned_import_plotly() -> None:
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).parts[0]
        if "plotly" in {n.split(".")[0] for n in _imports(path)}:
            assert rel in ("backtest",), f"{path} imports plotly"


CCXT_ALLOWED = {"market_data.py", "execution.py", "errors.py"}


def test_ccxt_when_imported_is_only_in_venue_adapters_wire_modules() -> None:
    """Only a venue adapter's market_data / execution / errors modules know ccxt (STYLE §2)."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if "ccxt" not in {n.split(".")[0] for n in _imports(path)}:
            continue
        rel = path.relative_to(SRC).parts
        if rel[0] != "venues" or rel[1] in ("sim", "fakes") or path.name not in CCXT_ALLOWED:
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


def test_sql_when_imported_is_only_in_the_store() -> None:
    """Only `store` knows SQL (ARCHITECTURE: parts); optuna's own storage in `research` is
    reached through optuna, not through SQL of ours."""
    offenders = []
    for path in SRC.rglob("*.py"):
        roots = {n.split(".")[0] for n in _imports(path)}
        if (
            roots & {"sqlalchemy", "sqlite3", "psycopg"}
            and path.relative_to(SRC).parts[0] != "store"
        ):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []
