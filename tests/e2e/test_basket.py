"""volatility_breakout on the ten bundled symbols, equally weighted, 2x leverage."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from tradeyard.backtest.runner import load_run_data, run_backtest
from tradeyard.bots import FixedNotional
from tradeyard.config import BacktestConfig, DataConfig, StrategyConfig, TraderConfig, VenueConfig
from tradeyard.config.load import validate
from tradeyard.marketdata import BUNDLED_SYMBOLS


def test_basket_when_run_from_cli_reports_fees_funding_and_leverage(
    run_cli, tmp_path: Path
) -> None:
    out = tmp_path / "vb.json"
    proc = run_cli(
        "backtest",
        "--strategy",
        "volatility_breakout",
        "--leverage",
        "2",
        "--json",
        str(out),
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    m = doc["metrics"]
    assert {t["symbol"] for t in doc["trades"]} == set(BUNDLED_SYMBOLS)
    assert m["fees_paid"] > 0 and m["funding_paid"] != 0
    # equal weight: each symbol's full position is wallet x 2 / 10; prices drift after entry,
    # but the whole book stays near 2x
    assert 0 < m["max_leverage"] <= 2.5
    peak = max(m["starting_equity"], m["final_equity"]) * (1 + abs(m["max_drawdown"]))
    for t in doc["trades"]:
        assert t["qty"] * t["entry_price"] <= peak * 2 / 10 * 1.001


def _cfg(fee: float, funding: bool) -> BacktestConfig:
    return validate(
        BacktestConfig(
            strategies=[StrategyConfig(id="vb", strategy="volatility_breakout")],
            traders=[
                TraderConfig(
                    id="t",
                    follows={"vb": 1.0},
                    sizing=FixedNotional(notional=1_500.0),
                    leverage=2.0,
                )
            ],
            venue=VenueConfig(maker_fee=fee, taker_fee=fee),
            data=DataConfig(symbols=["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"], funding=funding),
        )
    )


@pytest.fixture(scope="module")
def runs() -> dict[tuple[float, bool], object]:
    out = {}
    for fee, funding in [(0.0, False), (0.0005, False), (0.0, True)]:
        cfg = _cfg(fee, funding)
        bars, rates = load_run_data(cfg)
        (out[(fee, funding)],) = run_backtest(cfg, bars, rates, charts=False)
    return out


def test_equity_curve_when_fees_charged_is_lower_by_exactly_the_fees(runs) -> None:
    base, fees = runs[(0.0, False)], runs[(0.0005, False)]
    assert [(t.symbol, t.entry_time, t.exit_time) for t in base.trades] == [
        (t.symbol, t.entry_time, t.exit_time) for t in fees.trades
    ]
    assert fees.fees_paid > 0 and base.fees_paid == 0
    assert fees.equity.equity[-1] == pytest.approx(
        base.equity.equity[-1] - fees.fees_paid, abs=1e-6
    )


def test_equity_curve_when_funding_applied_is_lower_by_exactly_the_funding(runs) -> None:
    base, funded = runs[(0.0, False)], runs[(0.0, True)]
    assert funded.funding_paid != 0 and base.funding_paid == 0
    assert funded.equity.equity[-1] == pytest.approx(
        base.equity.equity[-1] - funded.funding_paid, abs=1e-6
    )
    # and each closed trade's pnl carries its share
    assert sum(t.funding for t in funded.trades) != 0
    assert msgspec.json.encode(funded.metrics)  # finite, JSON-safe


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"leverage": 50.0},
            "traders[0].leverage: leverage 50 above the venue's maximum 20 for BTCUSDT",
        ),
        (
            {"symbols": ["BTCUSDT", "DOGEUSDT"]},
            "traders[0].symbols: basket symbol(s) DOGEUSDT not in the data",
        ),
    ],
)
def test_basket_when_config_is_wrong_fails_before_running(change: dict, message: str) -> None:
    from tradeyard.errors import ConfigError
    from tradeyard.events import InstrumentSpec

    specs = {
        s: InstrumentSpec(s, tick_size=0.01, step_size=0.001, max_leverage=20.0)
        for s in ["BTCUSDT", "ETHUSDT"]
    }
    cfg = validate(
        BacktestConfig(
            strategies=[StrategyConfig(id="vb", strategy="volatility_breakout")],
            traders=[TraderConfig(id="t", follows={"vb": 1.0}, **change)],
            venue=VenueConfig(instruments=specs),
            data=DataConfig(symbols=["BTCUSDT", "ETHUSDT"]),
        )
    )
    with pytest.raises(ConfigError) as info:
        run_backtest(cfg, charts=False)
    assert message in str(info.value)


def test_venue_when_data_symbol_has_no_filters_fails_before_running() -> None:
    from tradeyard.errors import ConfigError
    from tradeyard.events import InstrumentSpec

    cfg = validate(
        BacktestConfig(
            strategies=[StrategyConfig(id="vb", strategy="volatility_breakout")],
            venue=VenueConfig(instruments={"BTCUSDT": InstrumentSpec("BTCUSDT")}),
            data=DataConfig(symbols=["BTCUSDT", "ETHUSDT"]),
        )
    )
    with pytest.raises(ConfigError, match=r"ETHUSDT have no \[venue.instruments\] entry"):
        run_backtest(cfg, charts=False)


@pytest.mark.parametrize("strategy", ["rsi_macd_cci", "engulfing_rsi"])
def test_strategy_when_run_from_cli_on_ten_symbols_trades_them(
    run_cli, tmp_path: Path, strategy: str
) -> None:
    out = tmp_path / "o.json"
    proc = run_cli(
        "backtest", "--strategy", strategy, "--leverage", "2", "--json", str(out), "--quiet"
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    traded = {t["symbol"] for t in doc["trades"]}
    assert len(traded) >= 8 and traded <= set(BUNDLED_SYMBOLS)
    assert doc["metrics"]["bars"] == 10 * 43_196  # 1m data; the strategy reads aggregated bars
