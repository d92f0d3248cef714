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
from tradeyard.bots.strategy import BarsView, Strategy
from tradeyard.errors import StrategyError
from tradeyard.events import Bar, Control, Event, topics

__all__ = ["StrategyBot"]


class _SymbolRunner:
    """Feeds one symbol's bars to its strategy instance (the per-bar hot path)."""

    __slots__ = (
        "assign",
        "bot",
        "ctx",
        "cursor",
        "expect",
        "extra_feeds",
        "feeds",
        "inst",
        "marked",
        "open_times",
        "wake_sets",
        "watches",
    )

    def __init__(self, bot: StrategyBot, inst: Strategy[Any]) -> None:
        self.bot = bot
        self.ctx = bot.ctx
        self.inst = inst
        self.feeds: list[tuple[Any, tuple[str, ...]]] = []
        self.extra_feeds: dict[str, list[tuple[Any, tuple[str, ...]]]] = {}
        self.open_times: Sequence[int] | None = None
        self.assign: Callable[[int], None] = _assign_nothing
        self.cursor = 0
        self.expect = 0
        """The cursor of the next bar if none is skipped by the engine (primed only)."""
        self.watches = type(inst).watch is not Strategy.watch
        """The strategy has a `watch`: its marks are computed at `prime`."""
        self.marked: dict[str, list[int]] | None = None
        """Per `watch` name, the primed chunk's rows marked True (None: not primed)."""
        self.wake_sets: dict[str, frozenset[int]] = {}

    def on_message(self, topic: str, bar: Bar) -> None:
        if not bar.closed:
            return
        inst = self.inst
        if self.open_times is not None and self.cursor != self.expect:
            # Bars the engine never handed over (it skipped them): count them as skipped.
            gap = self.cursor - self.expect
            inst._skipped += gap
            if inst._skip_left > 0:
                inst._skip_left -= gap
        self.expect = self.cursor + 1
        if (
            bar.open_time < inst._skip_until
            and bar.high < inst._skip_above
            and bar.low > inst._skip_below
            and (not self.feeds or (self.open_times is not None and self.cursor))
            and (inst._skip_wake is None or not self._marked(inst._skip_wake, self.cursor))
            and inst._skip_left != 0
        ):
            # Skipped (Strategy.skip_bars): the strategy promised this bar changes nothing. Primed
            # outputs are per-bar arrays, so only the cursor moves (values are set on waking);
            # streamed indicators must see every bar, so a strategy with them gets every bar, and
            # so does each chunk's first bar (it is checked against the chunk).
            if self.open_times is not None:
                self.cursor += 1
            inst.last_close = bar.close
            inst._skipped += 1
            if inst._skip_left > 0:
                inst._skip_left -= 1
            return
        inst._skip_until = 0
        inst._skip_left = -1
        inst.bars_skipped = inst._skipped
        inst._skipped = 0
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

    def _marked(self, name: str, row: int) -> bool:
        """Is `row` of the primed chunk marked in `watch(...)[name]`? True when unknown (live)."""
        if self.marked is None or self.open_times is None:
            return True
        return row in self.wake_set(name)

    def wake_rows(self, name: str) -> list[int]:
        """The primed chunk's rows marked True in `watch(...)[name]`, ascending."""
        rows = self.marked.get(name) if self.marked is not None else None
        if rows is None:
            raise StrategyError(
                f"bot {self.bot.bot_id!r}: skip_bars(wake_on={name!r}) but "
                f"{type(self.inst).__name__}.watch returns no {name!r} "
                f"(it returns: {', '.join(self.marked or {}) or 'nothing'})"
            )
        return rows

    def wake_set(self, name: str) -> frozenset[int]:
        found = self.wake_sets.get(name)
        if found is None:
            found = self.wake_sets[name] = frozenset(self.wake_rows(name))
        return found

    def _mismatch(self, bar: Bar) -> None:
        raise StrategyError(
            f"bot {self.bot.bot_id!r}: bar {self.inst.symbol} open_time={bar.open_time} does not "
            "match the primed chunk; prime() must be given exactly the bars that follow"
        )

    def prime(self, columns: Mapping[str, np.ndarray]) -> None:
        if not self.feeds and not self.watches:  # nothing to precompute: plain per-bar path
            return
        setters: list[tuple[Any, str, Sequence[float]]] = []
        outputs: dict[int, dict[str, np.ndarray]] = {}
        for ind, fields in self.feeds:
            outs = ind.update_many(*[np.asarray(columns[f], dtype=np.float64) for f in fields])
            outputs[id(ind)] = outs
            for name in ind.outputs:
                setters.append((ind, name, _floats(outs[name])))
        self.assign = _compile_assign(setters)
        self.open_times = memoryview(np.ascontiguousarray(columns["open_time"], dtype=np.int64))
        self.cursor = self.expect = 0
        if self.watches:
            self.marked = self._watch(BarsView(columns, outputs), len(self.open_times))
            self.wake_sets = {}

    def _watch(self, view: BarsView, n: int) -> dict[str, list[int]]:
        marked: dict[str, list[int]] = {}
        for name, mask in self.inst.watch(view).items():
            arr = np.asarray(mask)
            if arr.dtype != np.bool_ or arr.shape != (n,):
                raise StrategyError(
                    f"bot {self.bot.bot_id!r}: {type(self.inst).__name__}.watch()[{name!r}] must "
                    f"be a boolean array with one value per bar ({n}), got {arr.dtype} {arr.shape}"
                )
            marked[name] = np.flatnonzero(arr).tolist()
        return marked

    def unprime(self) -> None:
        if self.open_times is not None and self.cursor != len(self.open_times):
            raise StrategyError(
                f"bot {self.bot.bot_id!r}: {self.inst.symbol} was primed with "
                f"{len(self.open_times)} bars but received {self.cursor}; prime() must be given "
                "exactly the bars that follow"
            )
        if self.open_times is not None:
            self.inst._skipped += len(self.open_times) - self.expect  # skipped at the chunk's end
        self.open_times = None
        self.marked = None
        self.assign = _assign_nothing


def _assign_nothing(i: int) -> None:
    return None


def _floats(values: np.ndarray) -> Sequence[float]:
    """A chunk's outputs as Python floats by index, without converting the whole chunk: most
    rows are never visited (`backtest.skipping`), and `tolist()` of every output of every chunk
    cost more than all the visits' reads. A memoryview's item is the same float, bit for bit."""
    return memoryview(np.ascontiguousarray(values, dtype=np.float64))


def _compile_assign(setters: list[tuple[Any, str, Sequence[float]]]) -> Callable[[int], None]:
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
