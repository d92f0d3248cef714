"""rsi_macd_cci follows its rules: hand-built 5m bars whose RSI, MACD and CCI are worked out in
the comments, checked signal by signal through StrategyBot and trade by trade through the real
engine; its parameters are checked; and it runs on real data resampled to 5m, where its own
view of the position never drifts from the venue's."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest
from strategy_bars import pandas_resample

import tradeyard.strategies
from tradeyard.backtest.runner import run_backtest
from tradeyard.bots import BotContext, FixedQuantity, StrategyBot
from tradeyard.config import BacktestConfig, StrategyConfig, TraderConfig, VenueConfig
from tradeyard.config.load import build_params, validate
from tradeyard.errors import ConfigError
from tradeyard.events import Bar, Signal
from tradeyard.indicators import CCI, MACD, RSI
from tradeyard.marketdata import BarSeries
from tradeyard.strategies.rsi_macd_cci import RsiMacdCci, RsiMacdCciParams

T0 = 1_746_403_200_000  # 2025-05-05 00:00 UTC
STEP = 300_000  # 5 minutes

# Small periods so every value can be worked out by hand.
SMALL = {
    "rsi_period": 2,
    "macd_fast": 2,
    "macd_slow": 3,
    "macd_signal": 2,
    "cci_period": 3,
    "cci_level": 50.0,
}

Row = tuple[float, float, float, float]  # open, high, low, close


def _flat(*closes: float) -> list[Row]:
    """Bars that trade at one price each (open = high = low = close): the CCI's typical price
    is then the close, which keeps the arithmetic short."""
    return [(c, c, c, c) for c in closes]


def _series(rows: list[Row]) -> BarSeries:
    a = np.array(rows, dtype=float)
    ot = T0 + STEP * np.arange(len(rows), dtype=np.int64)
    return BarSeries("BTCUSDT", "5m", ot, a[:, 0], a[:, 1], a[:, 2], a[:, 3], np.ones(len(rows)))


def _bars(s: BarSeries) -> list[Bar]:
    return [
        Bar("sim", s.symbol, s.interval, int(t), int(t) + STEP - 1, o, h, lo, c, 1.0)
        for t, o, h, lo, c in zip(s.open_time, s.open, s.high, s.low, s.close, strict=True)
    ]


def ot(i: int) -> int:
    return T0 + i * STEP


def ct(i: int) -> int:
    return T0 + (i + 1) * STEP - 1


def _signals(rows: list[Row], **params: Any) -> list[Signal]:
    emitted: list[Signal] = []
    bot = StrategyBot(
        BotContext("rmc", emitted.append),
        RsiMacdCci,
        RsiMacdCciParams(**params),
        ["BTCUSDT"],
        venue="sim",
        interval="5m",
    )
    bot.on_start()
    for bar in _bars(_series(rows)):
        bot.on_bar(bar)
    return emitted


def _config(**params: Any) -> BacktestConfig:
    return validate(
        BacktestConfig(
            strategies=[StrategyConfig(id="rmc", strategy="rsi_macd_cci", params=params)],
            traders=[TraderConfig(id="t", follows={"rmc": 1.0}, sizing=FixedQuantity(qty=1.0))],
            venue=VenueConfig(maker_fee=0.0, taker_fee=0.0, starting_balance=1_000_000.0),
        )
    )


@pytest.fixture(autouse=True)
def _registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(tradeyard.strategies.REGISTRY, "rsi_macd_cci", RsiMacdCci)


def _trades(rows: list[Row], **params: Any) -> list[tuple[str, int, float, int, float, str]]:
    (result,) = run_backtest(_config(**params), [_series(rows)], {}, charts=False)
    assert not [o for o in result.orders if o.status == "rejected"]
    return [
        (t.side, t.entry_time, t.entry_price, t.exit_time, t.exit_price, t.exit_reason)
        for t in result.trades
    ]


# A fall and a turn. With RSI(2), MACD(2, 3, 2), CCI(3), on closes 112 ×5, 108, 104, 97, 100:
#   RSI(2), Wilder: the changes of bars 1-4 are 0 (flat: RSI 0, as TA-Lib); losses 4, 4, 7 at
#     bars 5-7 give avg loss (0+4)/2=2, (2+4)/2=3, (3+7)/2=5 and RSI 0; bar 8 gains 3:
#     avg gain 3/2=1.5, avg loss 5/2=2.5, RSI 100*1.5/4 = 37.5   -> 0 < 30 <= 37.5: leaves oversold
#   MACD: EMA3 (alpha 1/2) and EMA2 (alpha 2/3) start at 112; signal EMA2 of the line starts at 0.
#     bar 5 (108): EMA3 110, EMA2 109.333, line -0.667, signal -0.444, hist -0.222
#     bar 6 (104): EMA3 107, EMA2 105.778, line -1.222, signal -0.963, hist -0.259
#     bar 7 (97):  EMA3 102, EMA2  99.926, line -2.074, signal -1.704, hist -0.370
#     bar 8 (100): EMA3 101, EMA2  99.975, line -1.025, signal -1.251, hist +0.226 -> crosses above
#   CCI(3) = (tp - mean) / (0.015 * mean |tp - mean|):
#     bar 7: 108, 104, 97: mean 103, dev -6, mad (5+1+6)/3 = 4: -6 / 0.06 = -100
#     bar 8: 104, 97, 100: mean 100.333, dev -0.333, mad 2.444: -9.09  -> -100 < -50 <= -9.09
#   All three on bar 8: LONG at its close 100: take-profit 100 * 1.01 = 101, stop 100 * 0.995 = 99.5.
FALL = _flat(112, 112, 112, 112, 112, 108, 104, 97, 100)
# The mirror image (200 - price): RSI 100 - 37.5 = 62.5 after 100 (overbought 70 left), MACD
# hist -0.226 (crosses below), CCI +9.09 (down through +50): SHORT at 100, take-profit 99, stop
# 100.5. (The flat start has RSI 0 here too, so bar 5 counts as RSI leaving oversold and the
# MACD crosses up there, but the CCI goes 0 -> +100, not up through -50: no long.)
RISE = _flat(88, 88, 88, 88, 88, 92, 96, 103, 100)


def test_rsi_macd_cci_when_hand_computed_indicators_match_comments() -> None:
    closes = np.array([r[3] for r in FALL])
    rsi = RSI(2).update_many(closes)["value"]
    macd = MACD(2, 3, 2).update_many(closes)
    cci = CCI(3).update_many(closes, closes, closes)["value"]
    assert rsi[7:9].tolist() == [0.0, 37.5]
    assert macd["hist"][5:9] == pytest.approx([-2 / 9, -0.259259, -0.370370, 0.226337], abs=1e-6)
    assert cci[7:9] == pytest.approx([-100.0, -9.090909], abs=1e-6)


def test_rsi_macd_cci_when_all_three_agree_signals_long_with_bracket() -> None:
    # bar 9 stays inside 99.5..101; bar 10 reaches 101.3 (>= 101): take profit
    rows = [*FALL, (100.2, 100.6, 99.7, 100.4), (100.4, 101.3, 99.6, 101.2)]
    got = _signals(rows, **SMALL)
    assert [(s.ts, s.target, s.take_profit, s.stop_loss, s.entry) for s in got] == [
        (ct(8), 1.0, pytest.approx(101.0), pytest.approx(99.5), "market"),
        (ct(10), 0.0, None, None, "market"),
    ]
    assert got[0].reason == (
        "RSI left oversold 30, MACD crossed above signal, CCI crossed up through −50 "
        "(within 3 bars)"
    )
    assert got[1].reason == "take profit"


def test_rsi_macd_cci_when_long_then_take_profit_trades_exactly() -> None:
    rows = [*FALL, (100.2, 100.6, 99.7, 100.4), (100.4, 101.3, 99.6, 101.2)]
    # signal at bar 8's close -> market buy at bar 9's open 100.2; the bracket is live from
    # there; bar 10's high 101.3 reaches the take-profit 101 (low 99.6 stays above the stop 99.5)
    assert _trades(rows, **SMALL) == [("long", ot(9), 100.2, ct(10), 101.0, "take profit")]


def test_rsi_macd_cci_when_short_and_bar_reaches_both_stop_first() -> None:
    # short at bar 8's close 100: take-profit 99, stop 100.5; bar 9 (99.3..100.4) reaches
    # neither; bar 10 (98.8..100.7) reaches both: the stop is assumed first -> exit at 100.5
    rows = [*RISE, (99.8, 100.4, 99.3, 99.6), (99.6, 100.7, 98.8, 99.0)]
    got = _signals(rows, **SMALL)
    assert [(s.ts, s.target, s.take_profit, s.stop_loss, s.reason) for s in got] == [
        (ct(8), -1.0, pytest.approx(99.0), pytest.approx(100.5), got[0].reason),
        (ct(10), 0.0, None, None, "stop loss"),
    ]
    assert got[0].reason.startswith("RSI left overbought 70, MACD crossed below signal")
    assert _trades(rows, **SMALL) == [("short", ot(9), 99.8, ct(10), 100.5, "stop loss")]


def test_rsi_macd_cci_when_bar_opens_through_take_profit_fills_at_open() -> None:
    # as above, but bar 10 opens at 98.9, already below the take-profit 99: it fills at the
    # open, before the stop (the venue's gap rule), and the strategy says so too
    rows = [*RISE, (99.8, 100.4, 99.3, 99.6), (98.9, 100.7, 98.5, 99.0)]
    assert [(s.ts, s.target, s.reason) for s in _signals(rows, **SMALL)][1:] == [
        (ct(10), 0.0, "take profit")
    ]
    assert _trades(rows, **SMALL) == [("short", ot(9), 99.8, ot(10), 98.9, "take profit")]


def test_rsi_macd_cci_when_opposite_agreement_reverses() -> None:
    # FALL goes long at bar 8 (close 100); then 104, 108, 112 and a drop to 109 at bar 12:
    #   RSI 92.19 -> 52.68 (leaves overbought), MACD hist +0.302 -> -0.200, CCI 100 -> -28.57
    #   (down through +50): all three on bar 12 -> SHORT, reversing the long.
    # A wide bracket (50 %) keeps the bracket out of the way.
    rows = FALL + _flat(104, 108, 112, 109, 109)
    params = {**SMALL, "take_profit": 0.5, "stop_loss": 0.5}
    got = _signals(rows, **params)
    assert [(s.ts, s.target) for s in got] == [(ct(8), 1.0), (ct(12), -1.0)]
    assert got[1].take_profit == pytest.approx(109 * 0.5)
    assert got[1].stop_loss == pytest.approx(109 * 1.5)
    (result,) = run_backtest(_config(**params), [_series(rows)], {}, charts=False)
    # bought 1 at bar 9's open 104; one sell of 2 at bar 13's open 109 closes it and opens a short
    assert [(f.side, f.qty, f.price, f.ts) for f in result.fills] == [
        ("buy", 1.0, 104.0, ot(9)),
        ("sell", 2.0, 109.0, ot(13)),
    ]
    assert [
        (t.side, t.entry_time, t.entry_price, t.exit_time, t.exit_price) for t in result.trades
    ] == [("long", ot(9), 104.0, ot(13), 109.0)]


# closes 112 ×5, 108, 104, 100, 99.5, 101, 103: the MACD crosses above its signal on bar 8
# (hist -0.204 -> +0.060) but the CCI is still at -58.8 there (below -50) and the RSI still 0;
# on bar 9 the RSI goes 0 -> 42.9 and the CCI -58.8 -> +100: the events span bars 8-9.
# The long (close 101, take-profit 101 * 1.01 = 102.01) ends on bar 10, which opens at 103.
SPREAD = _flat(112, 112, 112, 112, 112, 108, 104, 100, 99.5, 101, 103)


@pytest.mark.parametrize(
    ("window", "expected"),
    [(1, []), (2, [(ct(9), 1.0), (ct(10), 0.0)]), (3, [(ct(9), 1.0), (ct(10), 0.0)])],
)
def test_rsi_macd_cci_when_events_spread_over_two_bars_window_decides(
    window: int, expected: list[tuple[int, float]]
) -> None:
    got = _signals(SPREAD, **SMALL, window=window)
    assert [(s.ts, s.target) for s in got] == expected


def test_rsi_macd_cci_class_when_read_has_defaults() -> None:
    assert RsiMacdCci.name == "rsi_macd_cci"
    assert RsiMacdCci.interval == "5m"
    assert RsiMacdCciParams() == RsiMacdCciParams(
        rsi_period=14,
        oversold=30,
        overbought=70,
        macd_fast=12,
        macd_slow=26,
        macd_signal=9,
        cci_period=20,
        cci_level=100,
        window=3,
        take_profit=0.01,
        stop_loss=0.005,
    )


@pytest.mark.parametrize(
    ("params", "where", "text"),
    [
        ({"oversold": 70, "overbought": 70}, "params.oversold", "must be less than overbought"),
        ({"oversold": 80}, "params.oversold", "oversold (80) must be less than overbought (70)"),
        ({"macd_fast": 26}, "params.macd_fast", "macd_fast (26) must be less than macd_slow (26)"),
        ({"oversold": 0}, "params", "Expected `float` > 0.0"),
        ({"overbought": 100}, "params", "Expected `float` < 100.0"),
        ({"window": 0}, "params", "Expected `int` >= 1"),
        ({"rsi_period": 1}, "params", "Expected `int` >= 2"),
        ({"take_profit": 0.0}, "params", "Expected `float` > 0.0"),
        ({"stop_loss": 0.9}, "params", "Expected `float` <= 0.5"),
        ({"cci_level": -100}, "params", "Expected `float` > 0.0"),
    ],
)
def test_rsi_macd_cci_params_when_bad_value_clear_error(
    params: dict, where: str, text: str
) -> None:
    with pytest.raises(ConfigError) as err:
        build_params("rsi_macd_cci", params, where="strategies[0]")
    msg = str(err.value)
    assert text in msg
    assert msg.startswith("strategies[0]")
    if where != "params":
        assert where in msg


# -- real data ---------------------------------------------------------------------------------


class _Recording(RsiMacdCci):
    """Records the position the strategy believes in after every bar."""

    views: ClassVar[dict[str, list[tuple[int, int]]]] = {}

    def on_bar(self, bar: Bar) -> None:
        super().on_bar(bar)
        self.views.setdefault(self.symbol, []).append((bar.open_time, self.side))


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHUSDT", "SOLUSDT", "LTCUSDT"])
def test_rsi_macd_cci_when_real_data_view_matches_venue(
    monkeypatch: pytest.MonkeyPatch, symbol: str
) -> None:
    monkeypatch.setitem(tradeyard.strategies.REGISTRY, "rsi_macd_cci", _Recording)
    monkeypatch.setattr(_Recording, "views", {})
    series = pandas_resample(symbol, "5min", "5m")
    (result,) = run_backtest(_config(), [series], {}, charts=False)
    assert len(result.trades) >= 5
    assert not [o for o in result.orders if o.status == "rejected"]
    kinds = {o.client_order_id: o for o in result.orders}
    # exits only through the bracket or a reversal: the strategy never sends a flat to a venue
    # position it believes closed (no reduce-only market order ever fills)
    for f in result.fills:
        o = kinds[f.client_order_id]
        assert not (o.order_type == "market" and o.reduce_only)
    assert {t.exit_reason for t in result.trades} <= {"take profit", "stop loss"} | {
        t.exit_reason for t in result.trades if t.exit_reason.startswith("RSI left")
    }
    # after bar t the strategy's side equals the venue's position once bar t+1's open fills
    # (market orders) are in: fills before that open, plus the market fills at it
    view = _Recording.views[symbol]
    fills = sorted(result.fills, key=lambda f: f.ts)
    pos, k = 0.0, 0
    for (_, side), t_next in zip(view[:-1], series.open_time[1:], strict=True):
        while k < len(fills) and (
            fills[k].ts < t_next
            or (fills[k].ts == t_next and kinds[fills[k].client_order_id].order_type == "market")
        ):
            pos += fills[k].qty if fills[k].side == "buy" else -fills[k].qty
            k += 1
        assert side == int(np.sign(round(pos, 9))), f"drift at {t_next}"
