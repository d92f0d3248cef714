"""engulfing_rsi follows its rules: hand-built hourly candles with the RSI worked out in the
comments, checked signal by signal through StrategyBot and trade by trade through the real
engine; its parameters are checked; and it runs on real data resampled to 1h, where its own view
of the position never drifts from the venue's."""

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
from tradeyard.indicators import RSI
from tradeyard.marketdata import BarSeries
from tradeyard.strategies.engulfing_rsi import EngulfingRsi, EngulfingRsiParams

T0 = 1_746_403_200_000  # 2025-05-05 00:00 UTC
STEP = 3_600_000  # 1 hour

Row = tuple[float, float, float, float]  # open, high, low, close


def _candle(o: float, c: float) -> Row:
    """A candle with half-point wicks."""
    return (o, max(o, c) + 0.5, min(o, c) - 0.5, c)


def _series(rows: list[Row]) -> BarSeries:
    a = np.array(rows, dtype=float)
    ot = T0 + STEP * np.arange(len(rows), dtype=np.int64)
    return BarSeries("BTCUSDT", "1h", ot, a[:, 0], a[:, 1], a[:, 2], a[:, 3], np.ones(len(rows)))


def ot(i: int) -> int:
    return T0 + i * STEP


def ct(i: int) -> int:
    return T0 + (i + 1) * STEP - 1


def _signals(rows: list[Row], **params: Any) -> list[Signal]:
    emitted: list[Signal] = []
    bot = StrategyBot(
        BotContext("eng", emitted.append),
        EngulfingRsi,
        EngulfingRsiParams(**params),
        ["BTCUSDT"],
        venue="sim",
        interval="1h",
    )
    bot.on_start()
    for i, (o, h, lo, c) in enumerate(rows):
        bot.on_bar(Bar("sim", "BTCUSDT", "1h", ot(i), ct(i), o, h, lo, c, 1.0))
    return emitted


def _config(**params: Any) -> BacktestConfig:
    return validate(
        BacktestConfig(
            strategies=[StrategyConfig(id="eng", strategy="engulfing_rsi", params=params)],
            traders=[TraderConfig(id="t", follows={"eng": 1.0}, sizing=FixedQuantity(qty=1.0))],
            venue=VenueConfig(maker_fee=0.0, taker_fee=0.0, starting_balance=1_000_000.0),
        )
    )


@pytest.fixture(autouse=True)
def _registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(tradeyard.strategies.REGISTRY, "engulfing_rsi", EngulfingRsi)


def _trades(rows: list[Row], **params: Any) -> list[tuple[str, int, float, int, float, str]]:
    (result,) = run_backtest(_config(**params), [_series(rows)], {}, charts=False)
    assert not [o for o in result.orders if o.status == "rejected"]
    return [
        (t.side, t.entry_time, t.entry_price, t.exit_time, t.exit_price, t.exit_reason)
        for t in result.trades
    ]


# Four falling candles, a small bearish one (99.5 -> 98) and a bullish one (97.5 -> 100) whose
# body covers it: 97.5 < 98 (strictly) and 100 >= 99.5.
# RSI(3), Wilder, on closes 108, 106, 104, 102, 98, 100 (changes -2, -2, -2, -4, +2):
#   bar 3: avg gain 0, avg loss (2+2+2)/3 = 2 -> RSI 0
#   bar 4: avg loss (2*2 + 4)/3 = 2.667 -> RSI 0
#   bar 5: avg gain (0*2 + 2)/3 = 0.667, avg loss 2.667*2/3 = 1.778 -> RSI 100*0.667/2.444 = 27.27
#   27.27 < 40: LONG at bar 5's close 100, take-profit 100 * 1.02 = 102, stop 100 * 0.99 = 99.
BULLISH = [
    _candle(110, 108),
    _candle(108, 106),
    _candle(106, 104),
    _candle(104, 102),
    _candle(99.5, 98),
    _candle(97.5, 100),
]
# The mirror image (200 - price): a bearish engulfing (102.5 -> 100 covers 100.5 -> 102) with
# RSI 100 - 27.27 = 72.73 > 60: SHORT at 100, take-profit 98, stop 101.
BEARISH = [
    _candle(90, 92),
    _candle(92, 94),
    _candle(94, 96),
    _candle(96, 98),
    _candle(100.5, 102),
    _candle(102.5, 100),
]


def test_engulfing_rsi_when_hand_computed_rsi_matches_comments() -> None:
    rsi = RSI(3).update_many(np.array([r[3] for r in BULLISH]))["value"]
    assert rsi[3:].tolist()[:2] == [0.0, 0.0]
    assert rsi[5] == pytest.approx(300 / 11)  # 27.27
    rsi = RSI(3).update_many(np.array([r[3] for r in BEARISH]))["value"]
    assert rsi[5] == pytest.approx(100 - 300 / 11)


def test_engulfing_rsi_when_bullish_engulfing_long_then_take_profit() -> None:
    # bar 6 (99.4..101) reaches neither level; bar 7's high 102.4 reaches the take-profit 102
    rows = [*BULLISH, (100.2, 101.0, 99.4, 100.8), (100.8, 102.4, 100.5, 102.2)]
    got = _signals(rows, rsi_period=3)
    assert [(s.ts, s.target, s.take_profit, s.stop_loss, s.entry, s.reason) for s in got] == [
        (ct(5), 1.0, pytest.approx(102.0), pytest.approx(99.0), "market", got[0].reason),
        (ct(7), 0.0, None, None, "market", "take profit"),
    ]
    assert got[0].reason == "bullish engulfing, RSI 27.3 < 40"
    # market buy at bar 6's open 100.2; the take-profit fills at its level during bar 7
    assert _trades(rows, rsi_period=3) == [("long", ot(6), 100.2, ct(7), 102.0, "take profit")]


def test_engulfing_rsi_when_bearish_engulfing_short_and_both_reached_stop_first() -> None:
    # bar 6 (99.0..100.6) reaches neither 98 nor 101; bar 7 (97.8..101.2) reaches both: the stop
    # is assumed first -> exit at 101
    rows = [*BEARISH, (99.8, 100.6, 99.0, 99.2), (99.2, 101.2, 97.8, 98.5)]
    got = _signals(rows, rsi_period=3)
    assert [(s.ts, s.target, s.take_profit, s.stop_loss, s.reason) for s in got] == [
        (
            ct(5),
            -1.0,
            pytest.approx(98.0),
            pytest.approx(101.0),
            "bearish engulfing, RSI 72.7 > 60",
        ),
        (ct(7), 0.0, None, None, "stop loss"),
    ]
    assert _trades(rows, rsi_period=3) == [("short", ot(6), 99.8, ct(7), 101.0, "stop loss")]


def test_engulfing_rsi_when_stop_hit_on_entry_bar_exits_there() -> None:
    # the bracket is live from the entry's fill at bar 6's open: bar 6's low 98.9 hits the stop 99
    rows = [*BULLISH, (100.2, 100.5, 98.9, 99.5)]
    assert [(s.ts, s.target, s.reason) for s in _signals(rows, rsi_period=3)][1:] == [
        (ct(6), 0.0, "stop loss")
    ]
    assert _trades(rows, rsi_period=3) == [("long", ot(6), 100.2, ct(6), 99.0, "stop loss")]


@pytest.mark.parametrize(
    ("last", "params"),
    [
        (_candle(97.5, 100), {"rsi_long_max": 25.0}),  # RSI 27.27 is not below 25
        (_candle(98, 99.5), {}),  # body equal to the previous one, not strictly larger
        (_candle(98.2, 100), {}),  # opens above the previous close 98: does not engulf
        (_candle(97.5, 99.4), {}),  # closes below the previous open 99.5: does not engulf
    ],
)
def test_engulfing_rsi_when_not_confirmed_or_not_engulfing_no_signal(
    last: Row, params: dict[str, float]
) -> None:
    assert _signals([*BULLISH[:-1], last], rsi_period=3, **params) == []


def test_engulfing_rsi_when_opposite_pattern_reverses() -> None:
    # BULLISH goes long at bar 5 (fills at bar 6's open 100); three rising candles to 109, then a
    # bearish engulfing 109.5 -> 105.5 (covers 106 -> 109): RSI(3) 81.42 -> 50.35.
    #   RSI on closes ..., 98, 100, 103, 106, 109, 105.5 (changes +2, +3, +3, +3, -3.5):
    #     bar 6: gain (0.667*2 + 3)/3 = 1.444, loss 1.778*2/3 = 1.185 -> 54.93
    #     bar 7: 1.963, 0.790 -> 71.30;  bar 8: 2.309, 0.527 -> 81.42
    #     bar 9: 2.309*2/3 = 1.539, (0.527*2 + 3.5)/3 = 1.518 -> 50.35 > 50 -> SHORT (reversal)
    # A wide bracket (50 %) keeps it out of the way; the reversal sells 2 at bar 10's open 105.
    rows = [
        *BULLISH,
        _candle(100, 103),
        _candle(103, 106),
        _candle(106, 109),
        _candle(109.5, 105.5),
        _candle(105, 104),
    ]
    params = {"rsi_period": 3, "rsi_short_min": 50.0, "take_profit": 0.5, "stop_loss": 0.5}
    got = _signals(rows, **params)
    assert [(s.ts, s.target, s.reason) for s in got] == [
        (ct(5), 1.0, "bullish engulfing, RSI 27.3 < 40"),
        (ct(9), -1.0, "bearish engulfing, RSI 50.3 > 50"),
    ]
    (result,) = run_backtest(_config(**params), [_series(rows)], {}, charts=False)
    assert [(f.side, f.qty, f.price, f.ts) for f in result.fills] == [
        ("buy", 1.0, 100.0, ot(6)),
        ("sell", 2.0, 105.0, ot(10)),
    ]
    assert [
        (t.side, t.entry_time, t.entry_price, t.exit_time, t.exit_price) for t in result.trades
    ] == [("long", ot(6), 100.0, ot(10), 105.0)]
    # with the default rsi_short_min 60 the bearish engulfing (RSI 50.35) is not confirmed
    assert [s.target for s in _signals(rows, rsi_period=3, take_profit=0.5, stop_loss=0.5)] == [1.0]


def test_engulfing_rsi_class_when_read_has_defaults() -> None:
    assert EngulfingRsi.name == "engulfing_rsi"
    assert EngulfingRsi.interval == "1h"
    assert EngulfingRsiParams() == EngulfingRsiParams(
        rsi_period=14, rsi_long_max=40, rsi_short_min=60, take_profit=0.02, stop_loss=0.01
    )


@pytest.mark.parametrize(
    ("params", "where", "text"),
    [
        (
            {"rsi_long_max": 70, "rsi_short_min": 60},
            "params.rsi_long_max",
            "rsi_long_max (70) must not exceed rsi_short_min (60)",
        ),
        ({"rsi_long_max": 0}, "params", "Expected `float` > 0.0"),
        ({"rsi_short_min": 100}, "params", "Expected `float` < 100.0"),
        ({"rsi_period": 1}, "params", "Expected `int` >= 2"),
        ({"take_profit": 0}, "params", "Expected `float` > 0.0"),
        ({"stop_loss": 0.75}, "params", "Expected `float` <= 0.5"),
        ({"rsi": 14}, "params", "unknown parameter(s) 'rsi'"),
    ],
)
def test_engulfing_rsi_params_when_bad_value_clear_error(
    params: dict, where: str, text: str
) -> None:
    with pytest.raises(ConfigError) as err:
        build_params("engulfing_rsi", params, where="strategies[0]")
    msg = str(err.value)
    assert text in msg
    assert msg.startswith("strategies[0]")
    if where != "params":
        assert where in msg


# -- real data ---------------------------------------------------------------------------------


class _Recording(EngulfingRsi):
    """Records the position the strategy believes in after every bar."""

    views: ClassVar[dict[str, list[tuple[int, int]]]] = {}

    def on_bar(self, bar: Bar) -> None:
        super().on_bar(bar)
        self.views.setdefault(self.symbol, []).append((bar.open_time, self.side))


SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "AVAXUSDT"]


def test_engulfing_rsi_when_real_data_view_matches_venue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(tradeyard.strategies.REGISTRY, "engulfing_rsi", _Recording)
    monkeypatch.setattr(_Recording, "views", {})
    series = [pandas_resample(s, "1h", "1h") for s in SYMBOLS]
    # wider RSI gates than the defaults (50 / 50), so that reversals happen as well
    (result,) = run_backtest(
        _config(rsi_long_max=50.0, rsi_short_min=50.0), series, {}, charts=False
    )
    assert {t.symbol for t in result.trades} == set(SYMBOLS)
    assert any("engulfing" in t.exit_reason for t in result.trades)  # reversals
    assert not [o for o in result.orders if o.status == "rejected"]
    kinds = {o.client_order_id: o for o in result.orders}
    # the strategy never sends a flat to a venue position it believes closed
    for f in result.fills:
        o = kinds[f.client_order_id]
        assert not (o.order_type == "market" and o.reduce_only)
    # after bar t the strategy's side equals the venue's position once bar t+1's open fills
    # (market orders) are in: fills before that open, plus the market fills at it
    for s in series:
        view = _Recording.views[s.symbol]
        fills = sorted((f for f in result.fills if f.symbol == s.symbol), key=lambda f: f.ts)
        pos, k = 0.0, 0
        for (_, side), t_next in zip(view[:-1], s.open_time[1:], strict=True):
            while k < len(fills) and (
                fills[k].ts < t_next
                or (
                    fills[k].ts == t_next and kinds[fills[k].client_order_id].order_type == "market"
                )
            ):
                pos += fills[k].qty if fills[k].side == "buy" else -fills[k].qty
                k += 1
            assert side == int(np.sign(round(pos, 9))), f"{s.symbol}: drift at {t_next}"


def test_engulfing_rsi_when_real_data_with_defaults_runs() -> None:
    series = [pandas_resample(s, "1h", "1h") for s in SYMBOLS]
    (result,) = run_backtest(_config(), series, {}, charts=False)
    assert {t.symbol for t in result.trades} == set(SYMBOLS)
    assert not [o for o in result.orders if o.status == "rejected"]
    assert {t.exit_reason for t in result.trades} <= {"take profit", "stop loss"} | {
        t.exit_reason for t in result.trades if "engulfing" in t.exit_reason
    }
