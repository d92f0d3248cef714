"""StrategyBot: runs one Strategy instance per symbol and publishes its signals.

Bars arrive on `md.<venue>.<symbol>.bar_<interval>`; each symbol's topic is bound straight to
that symbol's runner, which feeds the instance's bound indicators, then calls its `on_bar`.

In a backtest the engine may `prime` a symbol with the next chunk of bars: the indicators then
compute the whole chunk at once with their vectorised twins and the runner only hands out the
precomputed values per bar. The bars that follow must then be exactly the primed chunk
(checked per bar by open time), otherwise the bot stops with a StrategyError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec
import numpy as np

from tradeyard.bots.bot import Bot
from tradeyard.bots.context import BotContext
from tradeyard.bots.strategy import Strategy
from tradeyard.errors import StrategyError
from tradeyard.events import Bar, Control, Event, topics

__all__ = ["StrategyBot"]


class _SymbolRunner:
    """Feeds one symbol's bars to its strategy instance (the per-bar hot path)."""

    __slots__ = ("assign", "bot", "ctx", "cursor", "extra_feeds", "feeds", "inst", "open_times")

    def __init__(self, bot: StrategyBot, inst: Strategy[Any]) -> None:
        self.bot = bot
        self.ctx = bot.ctx
        self.inst = inst
        self.feeds: list[tuple[Any, tuple[str, ...]]] = []
        self.extra_feeds: dict[str, list[tuple[Any, tuple[str, ...]]]] = {}
        self.open_times: list[int] | None = None
        self.assign: Callable[[int], None] = _assign_nothing
        self.cursor = 0

    def on_message(self, topic: str, bar: Bar) -> None:
        if not bar.closed:
            return
        inst = self.inst
        if (
            bar.open_time < inst._skip_until
            and bar.high < inst._skip_above
            and bar.low > inst._skip_below
            and (not self.feeds or (self.open_times is not None and self.cursor))
        ):
            # Skipped (Strategy.skip_bars): the strategy promised this bar changes nothing. Primed
            # outputs are per-bar arrays, so only the cursor moves (values are set on waking);
            # streamed indicators must see every bar, so a strategy with them gets every bar, and
            # so does each chunk's first bar (it is checked against the chunk).
            if self.open_times is not None:
                self.cursor += 1
            inst.last_close = bar.close
            return
        inst._skip_until = 0
        self.ctx.now = bar.close_time
        if self.open_times is not None:
            # Primed: hand out precomputed outputs. The first bar of the chunk is checked here,
            # the count at `unprime`; the engine delivers exactly the primed bars in between.
            i = self.cursor
            if i == 0 and self.open_times[0] != bar.open_time:
                self._mismatch(bar)
            self.cursor = i + 1
            self.assign(i)
        elif self.feeds:
            for ind, fields in self.feeds:
                ind.update(*[getattr(bar, f) for f in fields])
        inst.last_close = bar.close
        if not self.bot.paused:
            inst.on_bar(bar)

    def on_extra_message(self, topic: str, bar: Bar) -> None:
        """A bar of one of the strategy's extra intervals (always streamed, never primed)."""
        if not bar.closed:
            return
        self.ctx.now = bar.close_time
        for ind, fields in self.extra_feeds.get(bar.interval, ()):
            ind.update(*[getattr(bar, f) for f in fields])
        if not self.bot.paused:
            self.inst.on_bar(bar)

    def _mismatch(self, bar: Bar) -> None:
        raise StrategyError(
            f"bot {self.bot.bot_id!r}: bar {self.inst.symbol} open_time={bar.open_time} does not "
            "match the primed chunk; prime() must be given exactly the bars that follow"
        )

    def prime(self, columns: Mapping[str, np.ndarray]) -> None:
        if not self.feeds:  # nothing to precompute: stay on the plain per-bar path
            return
        setters: list[tuple[Any, str, list[float]]] = []
        for ind, fields in self.feeds:
            outs = ind.update_many(*[np.asarray(columns[f], dtype=np.float64) for f in fields])
            for name in ind.outputs:
                setters.append((ind, name, outs[name].tolist()))
        self.assign = _compile_assign(setters)
        self.open_times = np.asarray(columns["open_time"]).tolist()
        self.cursor = 0

    def unprime(self) -> None:
        if self.open_times is not None and self.cursor != len(self.open_times):
            raise StrategyError(
                f"bot {self.bot.bot_id!r}: {self.inst.symbol} was primed with "
                f"{len(self.open_times)} bars but received {self.cursor}; prime() must be given "
                "exactly the bars that follow"
            )
        self.open_times = None
        self.assign = _assign_nothing


def _assign_nothing(i: int) -> None:
    return None


def _compile_assign(setters: list[tuple[Any, str, list[float]]]) -> Callable[[int], None]:
    """One function that sets every primed output for bar `i`: `ind0.value = v0[i]; ...`.

    Generated once per chunk (like dataclasses and namedtuple generate their methods): plain
    attribute stores cost a fraction of a loop of `setattr` calls, and this runs on every bar.
    Output names come from the indicators' `outputs` (identifiers), never from user input.
    """
    if not setters:
        return _assign_nothing
    namespace: dict[str, Any] = {}
    lines = ["def assign(i):"]
    for k, (ind, name, values) in enumerate(setters):
        if not name.isidentifier():
            raise StrategyError(f"indicator output name {name!r} is not an identifier")
        namespace[f"ind{k}"] = ind
        namespace[f"v{k}"] = values
        lines.append(f"    ind{k}.{name} = v{k}[i]")
    exec("\n".join(lines), namespace)  # trusted: generated from indicator output names
    return namespace["assign"]  # type: ignore[no-any-return]


class StrategyBot(Bot):
    kind = "strategy"

    def __init__(
        self,
        ctx: BotContext,
        strategy_cls: type[Strategy[Any]],
        params: msgspec.Struct,
        symbols: Sequence[str],
        venue: str,
        interval: str | None = None,
    ) -> None:
        super().__init__(ctx)
        self.strategy_cls = strategy_cls
        self.params = params
        self.venue = venue
        self.interval = interval or strategy_cls.interval
        self.extra_intervals = tuple(i for i in strategy_cls.extra_intervals if i != self.interval)
        self.instances: dict[str, Strategy[Any]] = {}
        self._runners: dict[str, _SymbolRunner] = {}
        for symbol in symbols:
            inst = strategy_cls(params, symbol, ctx.bot_id, ctx, self.interval)
            self.instances[symbol] = inst
            self._runners[symbol] = _SymbolRunner(self, inst)

    def subscriptions(self) -> list[str]:
        return [pattern for pattern, _ in self.handlers()]

    def intervals(self) -> tuple[str, ...]:
        """Every interval this bot reads: the trading one first."""
        return (self.interval, *self.extra_intervals)

    def handlers(self) -> list[tuple[str, Callable[[str, Event], None]]]:
        pairs: list[tuple[str, Callable[[str, Event], None]]] = []
        for s, r in self._runners.items():
            pairs.append((topics.bar(self.venue, s, self.interval), r.on_message))  # type: ignore[arg-type]
            for extra in self.extra_intervals:
                pairs.append((topics.bar(self.venue, s, extra), r.on_extra_message))  # type: ignore[arg-type]
        pairs.append((topics.control(self.bot_id), self.on_event))
        return pairs

    def on_start(self) -> None:
        for runner in self._runners.values():
            runner.inst.on_start()
            runner.feeds = [
                (b.indicator, b.fields) for b in runner.inst._bound if b.interval is None
            ]
            for b in runner.inst._bound:
                if b.interval is not None:
                    runner.extra_feeds.setdefault(b.interval, []).append((b.indicator, b.fields))

    def on_bar(self, bar: Bar) -> None:
        """Feed one bar by hand (tests, tools); the runtime binds bar topics to the runners."""
        runner = self._runners.get(bar.symbol)
        if runner is None:
            return
        topic = topics.bar(self.venue, bar.symbol, bar.interval)
        if bar.interval == self.interval:
            runner.on_message(topic, bar)
        elif bar.interval in self.extra_intervals:
            runner.on_extra_message(topic, bar)

    def prime(self, symbol: str, columns: Mapping[str, np.ndarray]) -> None:
        """Precompute the bound indicators of `symbol` over the next chunk of bars.

        `columns` holds `open_time` and every bar field the indicators read, one row per bar.
        """
        runner = self._runners.get(symbol)
        if runner is not None:
            runner.prime(columns)

    def unprime(self) -> None:
        """Back to per-bar updates; checks every primed bar was delivered."""
        for runner in self._runners.values():
            runner.unprime()

    def on_control(self, event: Control) -> None:
        if event.action in ("pause", "stop"):
            self.paused = True
        elif event.action == "resume":
            self.paused = False
