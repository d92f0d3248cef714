"""StrategyBot: runs one Strategy instance per symbol and publishes its signals.

Bars arrive on `md.<venue>.<symbol>.bar_<interval>`. For each bar the bot feeds the bound
indicators of that symbol's instance, then calls its `on_bar`. In a backtest the engine may
`prime` a symbol with the next chunk of bars: the indicators then compute the whole chunk at
once with their vectorised twins and the bot only hands out the precomputed values per bar.
The bar sequence must then match the primed chunk exactly (checked per bar by open time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
import numpy as np

from tradeyard.bots.bot import Bot
from tradeyard.bots.context import BotContext
from tradeyard.bots.strategy import Strategy
from tradeyard.errors import StrategyError
from tradeyard.events import Bar, Control, Event, topics

__all__ = ["StrategyBot"]


class _Primed:
    """Precomputed indicator outputs for the next bars of one symbol."""

    __slots__ = ("cursor", "open_times", "setters")

    def __init__(self, open_times: list[int], setters: list[tuple[Any, str, list[float]]]) -> None:
        self.open_times = open_times
        self.setters = setters
        self.cursor = 0


class StrategyBot(Bot):
    kind = "strategy"

    def __init__(self, ctx: BotContext, strategy_cls: type[Strategy[Any]], params: msgspec.Struct,
                 symbols: Sequence[str], venue: str, interval: str | None = None) -> None:
        super().__init__(ctx)
        self.strategy_cls = strategy_cls
        self.params = params
        self.venue = venue
        self.interval = interval or strategy_cls.interval
        self.instances: dict[str, Strategy[Any]] = {}
        for symbol in symbols:
            inst = strategy_cls(params, symbol, ctx.bot_id, ctx)
            self.instances[symbol] = inst
        self._primed: dict[str, _Primed] = {}

    def subscriptions(self) -> list[str]:
        subs = [topics.bar(self.venue, s, self.interval) for s in self.instances]
        subs.append(topics.control(self.bot_id))
        return subs

    def on_start(self) -> None:
        for inst in self.instances.values():
            inst.on_start()

    # Bars take a dedicated fast path: no generic dispatch, `now` from the close time.
    def on_event(self, topic: str, event: Event) -> None:
        if type(event) is Bar:
            self.on_bar(event)  # type: ignore[arg-type]
        else:
            super().on_event(topic, event)

    def on_bar(self, bar: Bar) -> None:
        inst = self.instances.get(bar.symbol)
        if inst is None or not bar.closed:
            return
        self.ctx.now = bar.close_time
        primed = self._primed.get(bar.symbol)
        if primed is not None:
            i = primed.cursor
            if i >= len(primed.open_times) or primed.open_times[i] != bar.open_time:
                raise StrategyError(
                    f"bot {self.bot_id!r}: bar {bar.symbol} open_time={bar.open_time} does not match "
                    "the primed chunk; prime() must be given exactly the bars that follow"
                )
            for ind, name, values in primed.setters:
                setattr(ind, name, values[i])
            primed.cursor = i + 1
        else:
            for b in inst._bound:
                ind = b.indicator
                ind.update(*[getattr(bar, f) for f in b.fields])
        inst.last_close = bar.close
        if not self.paused:
            inst.on_bar(bar)

    def prime(self, symbol: str, columns: Mapping[str, np.ndarray]) -> None:
        """Precompute the bound indicators of `symbol` over the next chunk of bars.

        `columns` holds `open_time` and every bar field the indicators read, one row per bar.
        """
        inst = self.instances.get(symbol)
        if inst is None:
            return
        setters: list[tuple[Any, str, list[float]]] = []
        for b in inst._bound:
            outs = b.indicator.update_many(*[np.asarray(columns[f], dtype=np.float64) for f in b.fields])
            for name in b.indicator.outputs:
                setters.append((b.indicator, name, outs[name].tolist()))
        self._primed[symbol] = _Primed(np.asarray(columns["open_time"]).tolist(), setters)

    def unprime(self, symbol: str) -> None:
        self._primed.pop(symbol, None)

    def on_control(self, event: Control) -> None:
        if event.action == "pause":
            self.paused = True
        elif event.action in ("resume",):
            self.paused = False
        elif event.action == "stop":
            self.paused = True
