"""The `tradeyard backtest` command as a user runs it: outputs, determinism, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tradeyard.marketdata import bundled_bars_dir

WEEK = ("--from", "2025-05-10", "--to", "2025-05-17")


def test_bollinger_rv_when_run_from_cli_writes_json_and_offline_report(
    run_cli, tmp_path: Path
) -> None:
    out, rep = tmp_path / "out.json", tmp_path / "report.html"
    proc = run_cli(
        "backtest",
        "--strategy",
        "bollinger_rv",
        "--symbols",
        "BTCUSDT",
        *WEEK,
        "--json",
        str(out),
        "--report",
        str(rep),
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert set(doc) == {"metrics", "trades"}
    assert doc["metrics"]["trades"] == len(doc["trades"]) > 10
    assert set(doc["trades"][0]) == {
        "symbol",
        "side",
        "qty",
        "entry_time",
        "entry_price",
        "exit_time",
        "exit_price",
        "pnl",
        "fees",
    }
    for t in doc["trades"]:
        assert t["exit_time"] >= t["entry_time"]
    html = rep.read_text()
    assert "<script src=" not in html  # plotly is inlined: the report opens with no network
    assert len(html) > 1_000_000  # plotly.js itself is inside
    assert "BTCUSDT" in html and "drawdown" in html.lower()


def test_backtest_when_run_twice_gives_byte_identical_json(run_cli, tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    args = ("backtest", "--strategy", "sma_cross", "--symbols", "BTCUSDT,ETHUSDT", *WEEK, "--quiet")
    assert run_cli(*args, "--json", str(a)).returncode == 0
    assert run_cli(*args, "--json", str(b)).returncode == 0
    assert a.read_bytes() == b.read_bytes()
    assert json.loads(a.read_text())["metrics"]["trades"] > 0


def test_a_basket_with_leverage_caps_gives_the_same_json_whatever_the_hash_seed(
    run_cli, tmp_path: Path
) -> None:
    """Nothing may depend on set or hash order: two processes with different PYTHONHASHSEED
    (string hashes, so set iteration order, differ) give byte-identical results."""
    cfg = tmp_path / "basket.toml"
    cfg.write_text(
        """
[data]
symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "SUIUSDT"]
from = "2025-05-10"
to = "2025-05-14"
[[strategies]]
id = "s"
strategy = "sma_cross"
params = { fast = 20, slow = 60 }
[[traders]]
id = "t"
follows = { s = 1.0 }
allocation = { mode = "equal_weight" }
leverage = 3
max_total_leverage = 2.2
max_symbol_leverage = 0.7
"""
    )
    outs = []
    for seed in ("1", "2", "3"):
        out = tmp_path / f"seed{seed}.json"
        proc = run_cli("backtest", "--config", str(cfg), "--json", str(out), "--quiet",
                       env={"PYTHONHASHSEED": seed})  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    assert json.loads(outs[0])["metrics"]["trades"] > 10


def _bad_file(tmp_path: Path, kind: str) -> Path:
    df = pd.read_parquet(bundled_bars_dir() / "BTCUSDT.parquet").head(200)
    if kind == "missing":
        df = df.drop(columns=["volume"])
    elif kind == "unsorted":
        df = df.iloc[[0, 2, 1, *range(3, 200)]]
    elif kind == "duplicated":
        df = pd.concat([df.iloc[:5], df.iloc[4:]])
    path = tmp_path / "BTCUSDT.parquet"
    df.to_parquet(path)
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "missing column(s) volume"),
        ("unsorted", "not sorted by open_time"),
        ("duplicated", "duplicated bar"),
    ],
)
def test_backtest_when_data_is_bad_fails_in_one_line_and_writes_nothing(
    run_cli, tmp_path: Path, kind: str, message: str
) -> None:
    out = tmp_path / "out.json"
    proc = run_cli(
        "backtest",
        "--strategy",
        "sma_cross",
        "--data",
        str(_bad_file(tmp_path, kind)),
        "--json",
        str(out),
        "--report",
        str(tmp_path / "r.html"),
        "--quiet",
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
    assert not out.exists() and not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--strategy", "nope"),
            "unknown strategy 'nope': expected one of bollinger_rv, engulfing_rsi, rsi_macd_cci, "
            "sma_cross, volatility_breakout",
        ),
        (("--strategy", "sma_cross", "--param", "fsat=3"), "unknown parameter(s) 'fsat'"),
        (("--strategy", "sma_cross", "--param", "fast=abc"), "Expected `int`"),
        (
            ("--strategy", "sma_cross", "--fee-rate", "-0.001"),
            "--fee-rate must be >= 0, was -0.001",
        ),
        (("--strategy", "sma_cross", "--symbols", "DOGEXUSDT"), "DOGEXUSDT not found"),
        (("--strategy", "sma_cross", "--from", "yesterday"), "from='yesterday' is not a time"),
        (
            ("--strategy", "sma_cross", "--fee-rate", "0.05"),
            "--fee-rate 0.05 is 5 % of every fill's notional: it is a fraction (0.0005 = 0.05 %)",
        ),
        (
            ("--strategy", "sma_cross", "--from", "2025-05-20", "--to", "2025-05-10"),
            "data.from: the window is empty: from 2025-05-20 is not before to 2025-05-10",
        ),
    ],
)
def test_backtest_when_option_is_bad_fails_in_one_line(
    run_cli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "out.json"
    proc = run_cli("backtest", *args, "--json", str(out), "--quiet")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert not out.exists()


def test_backtest_when_interval_is_5m_trades_the_5m_bars(run_cli, tmp_path: Path) -> None:
    # A 1m strategy given 5m data with --interval 5m trades on the 5m bars; the same data under
    # the default 1m is refused (every bar would be taken for a 1m bar).
    src = pd.read_parquet(bundled_bars_dir() / "BTCUSDT.parquet")
    src = src[src.open_time % 300_000 == 0].iloc[:3000]  # every fifth 1m bar: a 5m grid
    data, out = tmp_path / "BTCUSDT.parquet", tmp_path / "out.json"
    src.to_parquet(data)
    args = ("backtest", "--strategy", "sma_cross", "--data", str(data), "--quiet")
    proc = run_cli(*args, "--interval", "5m", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    trades = json.loads(out.read_text())["trades"]
    assert len(trades) > 10
    assert all(t["entry_time"] % 300_000 == 0 for t in trades)  # fills at a 5m bar's open
    proc = run_cli(*args, "--json", str(tmp_path / "no.json"))
    assert proc.returncode == 2 and "pass --interval 5m" in proc.stderr, proc.stderr


def test_backtest_on_own_data_says_when_no_funding_is_charged(run_cli, tmp_path: Path) -> None:
    data = tmp_path / "BTCUSDT.parquet"
    pd.read_parquet(bundled_bars_dir() / "BTCUSDT.parquet").iloc[:2000].to_parquet(data)
    proc = run_cli("backtest", "--strategy", "sma_cross", "--data", str(data))
    assert proc.returncode == 0, proc.stderr
    assert "no funding is charged: give --funding FOLDER" in " ".join(proc.stderr.split())
    proc = run_cli("backtest", "--strategy", "sma_cross", "--data", str(data), "--quiet")
    assert proc.returncode == 0 and "note:" not in proc.stderr + proc.stdout


def test_backtest_when_config_file_given_runs_every_trader(run_cli, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("""
[data]
symbols = ["BTCUSDT", "ETHUSDT"]
from = "2025-05-10"
to = "2025-05-13"

[[strategies]]
id = "fast"
strategy = "sma_cross"
params = { fast = 5, slow = 20 }

[[strategies]]
id = "bb"
strategy = "bollinger_rv"

[[traders]]
id = "a"
follows = { fast = 1.0 }
sizing = { mode = "fixed_notional", notional = 1000 }

[[traders]]
id = "b"
follows = { bb = 1.0, fast = 0.5 }
leverage = 2
""")
    out = tmp_path / "o.json"
    proc = run_cli("backtest", "--config", str(cfg), "--json", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert set(doc["traders"]) == {"a", "b"}
    assert doc["traders"]["a"]["metrics"]["trades"] > 0


def test_backtest_when_config_key_misspelled_names_it(run_cli, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[[strategies]]\nid = "x"\nstrategy = "sma_cross"\n[[traders]]\nid="t"\nfollows={x=1}\nlevrage=2\n'
    )
    proc = run_cli("backtest", "--config", str(cfg), "--quiet")
    assert proc.returncode == 2
    assert "unknown field `levrage` at traders[0]" in proc.stderr


def test_backtest_when_streamed_gives_the_same_json_as_a_whole_load(
    run_cli, tmp_path: Path
) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    args = ("backtest", "--strategy", "sma_cross", "--symbols", "BTCUSDT,ETHUSDT", *WEEK, "--quiet")
    assert run_cli(*args, "--json", str(a)).returncode == 0
    proc = run_cli(*args, "--stream", "--json", str(b), "--report", str(tmp_path / "r.html"))
    assert proc.returncode == 0, proc.stderr
    assert a.read_bytes() == b.read_bytes()
    assert (tmp_path / "r.html").exists()


def test_readme_example_config_when_run_backtests_every_trader(run_cli, tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "two_traders.toml"
    out = tmp_path / "o.json"
    proc = run_cli("backtest", "--config", str(example), "--json", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    traders = json.loads(out.read_text())["traders"]
    assert set(traders) == {"trend_basket", "meanrev_btc", "blend"}
    assert all(t["metrics"]["trades"] > 0 for t in traders.values())
    assert traders["blend"]["metrics"]["max_leverage"] < 1.6  # capped at 1.5 when sized
