"""Determinism: replaying a bot's recorded input events reproduces its output exactly.

The backtest hands the strategy precomputed indicator chunks; the replay feeds the same bars one
by one to a fresh bot that updates its indicators bar by bar, as it would live. Same signals, bit
for bit: the two paths are interchangeable, and a recorded journal is enough to rebuild a bot.
"""

from __future__ import annotations

import pytest

from tradeyard.backtest.runner import run_backtest
from tradeyard.bots import BotContext, StrategyBot, Trader
from tradeyard.config import BacktestConfig, StrategyConfig, build_params
from tradeyard.config.load import validate
from tradeyard.events import Bar, Event, Signal, encode_msgpack
from tradeyard.events.codec import decode_msgpack
from tradeyard.marketdata import bundled_bars_dir, load_bars
from tradeyard.strategies import get


@pytest.mark.parametrize("strategy", ["sma_cross", "bollinger_rv"])
def test_strategy_when_journal_replayed_bar_by_bar_emits_identical_signals(strategy: str) -> None:
    bars = load_bars(bundled_bars_dir(), ["BTCUSDT", "ETHUSDT"])
    series = [bars[s].slice(0, 15_000) for s in bars]
    journal: list[tuple[str, bytes]] = []
    cfg = validate(BacktestConfig(strategies=[StrategyConfig(id="s1", strategy=strategy)]))
    run_backtest(
        cfg,
        series,
        {},
        charts=False,
        chunk_size=4_096,
        journal=lambda t, e: journal.append((t, encode_msgpack(e))),
    )
    recorded = [decode_msgpack(p) for t, p in journal if t.startswith("sig.s1.")]
    assert len(recorded) > 50

    replayed: list[Event] = []
    bot = StrategyBot(
        BotContext("s1", replayed.append),
        get(strategy),
        build_params(strategy, {}),
        ["BTCUSDT", "ETHUSDT"],
        venue="sim",
    )
    bot.on_start()
    for topic, payload in journal:
        if topic.startswith("md."):
            event = decode_msgpack(payload)
            assert isinstance(event, Bar)
            bot.on_bar(event)
    assert replayed == recorded
    assert all(isinstance(e, Signal) for e in replayed)


def test_trader_when_journal_replayed_emits_identical_orders() -> None:
    bars = load_bars(bundled_bars_dir(), ["BTCUSDT", "SOLUSDT"])
    series = [bars[s].slice(0, 10_000) for s in bars]
    journal: list[tuple[str, bytes]] = []
    cfg = validate(BacktestConfig(strategies=[StrategyConfig(id="s1", strategy="sma_cross")]))
    run_backtest(
        cfg, series, {}, charts=False, journal=lambda t, e: journal.append((t, encode_msgpack(e)))
    )
    recorded = [decode_msgpack(p) for t, p in journal if t == "cmd.sim" and b"trader" in p]
    out: list[Event] = []
    tcfg = cfg.traders[0]
    from tradeyard.venues.sim.config import default_instrument

    trader = Trader(
        BotContext("trader", out.append),
        "sim",
        tcfg.follows,
        tcfg.sizing,
        tcfg.leverage,
        {s: default_instrument(s) for s in bars},
    )
    for topic, payload in journal:
        if topic.startswith("sig.") or topic == "exec.trader":
            trader.on_event(topic, decode_msgpack(payload))
    assert len(recorded) > 100
    assert out == recorded
