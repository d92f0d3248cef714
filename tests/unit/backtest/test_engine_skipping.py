"""The engine visits only bars where something can happen; the results must not change.

Each case runs the same backtest twice on real bundled bars: skipping (the default) and visiting
every bar (`skip=False`). Signals, orders, fills, trades, the equity curve and every metric must
be identical to the last bit. The cases cover what decides a visit: strategy promises (levels,
times, `watch` marks), resting limit / stop / take-profit orders, liquidation levels (cross and
isolated), funding times, coarser bars completing, and chunk boundaries. Two mutations of the
venue's wake levels show the comparison has teeth.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from tradeyard.backtest.runner import load_run_data, run_backtest
from tradeyard.bots import EqualWeight
from tradeyard.config import BacktestConfig, StrategyConfig, TraderConfig
from tradeyard.config.load import validate
from tradeyard.config.schema import DataConfig
from tradeyard.events import Event
from tradeyard.venues.sim import SimVenue
from tradeyard.venues.sim.config import SimVenueConfig

TEN_DAYS = {"start": "2025-05-10", "end": "2025-05-20"}


def _cfg(
    strategy: str,
    symbols: list[str],
    *,
    params: dict[str, Any] | None = None,
    leverage: float = 1.0,
    basket: bool = False,
    venue: dict[str, Any] | None = None,
    dates: dict[str, str] | None = None,
) -> BacktestConfig:
    trader = TraderConfig(
        id="t",
        follows={"s": 1.0},
        leverage=leverage,
        allocation=EqualWeight() if basket else None,
        symbols=symbols if basket else [],
    )
    return validate(
        BacktestConfig(
            strategies=[StrategyConfig(id="s", strategy=strategy, params=params or {})],
            traders=[trader],
            data=DataConfig(symbols=symbols, **(dates if dates is not None else TEN_DAYS)),
            venue=SimVenueConfig(**(venue or {})),
        )
    )


def _run(cfg: BacktestConfig, skip: bool, chunk_size: int = 65_536) -> dict[str, Any]:
    bars, rates = load_run_data(cfg)
    signals: list[tuple[str, Event]] = []
    (r,) = run_backtest(
        cfg, bars, rates, charts=False, chunk_size=chunk_size, skip=skip,
        journal=lambda t, e: signals.append((t, e)), journal_topics="sig.>",
    )  # fmt: skip
    return {
        "signals": msgspec.json.encode(signals),
        "orders": msgspec.json.encode(r.orders),
        "fills": msgspec.json.encode(r.fills),
        "trades": msgspec.json.encode(r.trades),
        "equity": (r.equity.times.tobytes(), r.equity.equity.tobytes()),
        "metrics": msgspec.json.encode(r.metrics),
        "n_fills": len(r.fills),
        "liquidations": sum(f.client_order_id.startswith("liq-") for f in r.fills),
    }


def _visits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    count = [0]
    real = SimVenue.on_bar

    def counting(self: SimVenue, bar: Any) -> None:
        count[0] += 1
        real(self, bar)

    monkeypatch.setattr(SimVenue, "on_bar", counting)
    return count


CASES = {
    "sma_cross, two symbols": (_cfg("sma_cross", ["BTCUSDT", "ETHUSDT"]), 7_777),
    "sma_cross at 40x cross: liquidations": (
        _cfg("sma_cross", ["BTCUSDT", "SOLUSDT"], leverage=40.0, params={"fast": 30, "slow": 90}),
        65_536,
    ),
    "sma_cross at 30x isolated: liquidations": (
        _cfg(
            "sma_cross",
            ["ETHUSDT", "XRPUSDT"],
            leverage=30.0,
            params={"fast": 30, "slow": 90},
            venue={"margin_mode": "isolated"},
        ),
        20_000,
    ),
    "bollinger_rv: limit entries, brackets": (_cfg("bollinger_rv", ["BTCUSDT", "ETHUSDT"]), 9_000),
    "volatility_breakout, ten symbols, 2x, funding": (
        _cfg(
            "volatility_breakout",
            [
                "AVAXUSDT",
                "BCHUSDT",
                "BNBUSDT",
                "BTCUSDT",
                "ETHUSDT",
                "LINKUSDT",
                "LTCUSDT",
                "SOLUSDT",
                "SUIUSDT",
                "XRPUSDT",
            ],
            leverage=2.0,
            basket=True,
            dates={},
        ),
        65_536,
    ),
    "rsi_macd_cci on 5m bars": (_cfg("rsi_macd_cci", ["BTCUSDT", "SOLUSDT"]), 65_536),
    "engulfing_rsi on 1h bars": (_cfg("engulfing_rsi", ["ETHUSDT", "SUIUSDT"], dates={}), 30_000),
}


@pytest.mark.parametrize("case", list(CASES))
def test_skipping_quiet_bars_gives_the_same_backtest_as_visiting_every_bar(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg, chunk = CASES[case]
    visits = _visits(monkeypatch)
    every = _run(cfg, skip=False, chunk_size=chunk)
    n_bars, visits[0] = visits[0], 0
    skipping = _run(cfg, skip=True, chunk_size=chunk)
    assert every["n_fills"] > 10, "the case must trade to test anything"
    if "liquidations" in case:
        assert every["liquidations"] > 0
    for key in every:
        assert skipping[key] == every[key], key
    assert visits[0] < n_bars  # it really skipped bars


def test_sma_cross_visits_only_the_bars_around_sign_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    visits = _visits(monkeypatch)
    cfg = _cfg("sma_cross", ["BTCUSDT"], params={"fast": 50, "slow": 200})
    out = _run(cfg, skip=True)
    bars = 10 * 1440
    assert out["n_fills"] > 10
    assert visits[0] < bars / 5


@pytest.mark.parametrize(
    ("case", "mutation"),
    [
        ("sma_cross at 40x cross: liquidations", "ignores liquidation prices"),
        ("rsi_macd_cci on 5m bars", "ignores resting orders"),
    ],
)
def test_a_venue_that_forgets_a_wake_level_changes_the_results(
    case: str, mutation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison above has teeth: skipping bars the venue needed changes the backtest."""
    cfg, chunk = CASES[case]
    every = _run(cfg, skip=False, chunk_size=chunk)
    real = SimVenue.wake_levels

    def forgetful(self: SimVenue, symbol: str) -> tuple[float, float, float]:
        low, high, funding = real(self, symbol)
        st = self._symbols.get(symbol)
        if st is None or st.interval == "":
            return low, high, funding
        if mutation == "ignores liquidation prices":
            if not st.n_orders:
                return -float("inf"), float("inf"), funding
            return max(-float("inf"), st.quiet_low), min(float("inf"), st.quiet_high), funding
        return st.liq_low, st.liq_high, funding

    monkeypatch.setattr(SimVenue, "wake_levels", forgetful)
    mutated = _run(cfg, skip=True, chunk_size=chunk)
    assert mutated["fills"] != every["fills"]
