"""A trader that cannot trade says so: a wallet too small for one quantity step of BTCUSDT, a
sizing below the least order (refused at start), an order the venue rejects after a gap.

The first test runs the same days of sma_cross twice: with 50 USDT (0.95 × 50 / ≈95,000 ≈ 0.0005
BTC, below the 0.001 step: every signal is skipped) and with 1,000,000 USDT, where each of the
same signals is an order (sma_cross is always in the market after its first cross, so every
cross reverses).
"""

from __future__ import annotations

import json
from pathlib import Path

CONFIG = """
[data]
symbols = ["BTCUSDT"]
from = "2025-05-10"
to = "2025-05-13"

[venue]
starting_balance = {balance}
[venue.instruments.BTCUSDT]
symbol = "BTCUSDT"
tick_size = 0.1
step_size = 0.001
min_notional = 100

[[strategies]]
id = "trend"
strategy = "sma_cross"

[[traders]]
id = "small"
follows = {{ trend = 1.0 }}
"""


def _run(run_cli, tmp_path: Path, balance: float, *extra: str):  # type: ignore[no-untyped-def]
    cfg = tmp_path / f"run{balance:g}.toml"
    cfg.write_text(CONFIG.format(balance=balance))
    out = tmp_path / f"run{balance:g}.json"
    proc = run_cli("backtest", "--config", str(cfg), "--json", str(out), *extra)
    assert proc.returncode == 0, proc.stderr
    return proc, json.loads(out.read_text())


def test_backtest_when_the_wallet_is_below_one_step_counts_and_explains_every_skipped_signal(
    run_cli, tmp_path: Path
) -> None:
    report = tmp_path / "small.html"
    proc, small = _run(run_cli, tmp_path, 50, "--report", str(report))
    _, funded = _run(run_cli, tmp_path, 1_000_000, "--quiet")

    orders = funded["metrics"]["trades"] + 1  # reversals close one trade each; the last is open
    assert small["metrics"]["trades"] == 0
    assert small["metrics"]["signals_skipped"] == orders > 100
    assert funded["metrics"]["signals_skipped"] == 0

    text = " ".join(proc.stdout.split())  # rich wraps long lines
    assert f"small: {orders:,d} signal(s) not traded: {orders:,d} × the position asked for is " \
        "less than one quantity step" in text  # fmt: skip
    assert "is less than one step (0.001) of BTCUSDT" in text
    html = report.read_text()
    assert "Signals not traded — small" in html
    assert "the position asked for is less than one quantity step" in html


def test_backtest_when_fixed_quantity_is_below_one_step_refuses_the_config(
    run_cli, tmp_path: Path
) -> None:
    cfg = tmp_path / "fq.toml"
    text = CONFIG.format(balance=10_000).replace(
        "follows = { trend = 1.0 }",
        'follows = { trend = 1.0 }\nsizing = { mode = "fixed_quantity", qty = 0.0005 }',
    )
    cfg.write_text(text)
    out = tmp_path / "fq.json"
    proc = run_cli("backtest", "--config", str(cfg), "--json", str(out), "--quiet")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: traders[0].sizing: qty 0.0005 is below the least order of BTCUSDT (0.001): "
        "every entry would be skipped; use at least 0.001"
    )
    assert not out.exists()  # nothing half-written


def test_backtest_when_a_gap_makes_an_order_unmarginable_reports_the_venues_rejection(
    run_cli, tmp_path: Path
) -> None:
    # Flat at 100, then a close at 101: fast SMA(2) 100.5 crosses above slow SMA(3) 100.33.
    # The trader sizes 95 % of 10,000 USDT at 101 (94.0594), and the next bar opens at 200:
    # the position needs 18,812 USDT of margin at the open, which the venue refuses.
    import pandas as pd

    closes = [100.0] * 10 + [101.0]
    opens = [100.0] * 11
    t0 = 1_746_000_000_000
    rows = [
        {"open_time": t0 + 60_000 * i, "open": o, "high": max(o, c), "low": min(o, c),
         "close": c, "volume": 1.0}
        for i, (o, c) in enumerate(zip(opens, closes, strict=True))
    ] + [
        {"open_time": t0 + 60_000 * (len(closes) + k), "open": 200.0, "high": 200.0,
         "low": 200.0, "close": 200.0, "volume": 1.0}
        for k in range(3)
    ]  # fmt: skip
    data = tmp_path / "GAPUSDT.parquet"
    pd.DataFrame(rows).to_parquet(data)
    report = tmp_path / "gap.html"
    proc = run_cli(
        "backtest", "--strategy", "sma_cross", "--data", str(data), "--param", "fast=2",
        "--param", "slow=3", "--report", str(report),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert "trader: 1 order(s) rejected by the venue; first at 2025-04-30T08:11:00Z: " \
        "GAPUSDT buy 94.0594" in text  # fmt: skip
    assert "insufficient margin: order needs 18,811.88 USDT initial margin + 9.41 USDT fee at " \
        "the open 200, available 10,000.00 USDT" in text  # fmt: skip
    html = report.read_text()
    assert "Orders rejected by the venue — trader" in html and "at the open 200" in html
