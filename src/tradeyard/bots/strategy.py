"""Strategy: a signal bot. Write one class per strategy; it reads bars and says what to hold.

A strategy instance looks after ONE symbol (its state is plain attributes on `self`); the
`StrategyBot` runs one instance per symbol and publishes the signals on `sig.<bot>.<symbol>`.
It never builds orders: traders turn its signals into orders.

    class SmaCross(Strategy[SmaCrossParams]):
        name = "sma_cross"
        Params = SmaCrossParams

        def on_start(self) -> None:
            self.fast = self.indicator(SMA(self.params.fast), plot="SMA fast")

        def on_bar(self, bar: Bar) -> None:
            if ...:
                self.go_long("fast SMA crossed above slow SMA")

Indicators created with `self.indicator(...)` are fed every bar before `on_bar` runs. Read only
their output attributes (`value`, `upper`, ...): NaN until warmed up. In a backtest the engine
may compute them a chunk at a time with their vectorised twin (same values, far faster).

Speed in backtests (optional, same results): a strategy that knows the coming bars change
nothing for it says so with `skip_bars` at the end of `on_bar`: until a time, a price level,
or the next bar its `watch` marks (the vectorised twin of `on_bar`'s conditions, computed a
chunk at a time like the indicators). The engine then never visits those bars.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import msgspec
import numpy as np

from tradeyard.errors import ConfigError, StrategyError
from tradeyard.events import Bar, Signal

__all__ = ["BarsView", "BoundIndicator", "IndicatorLike", "Strategy"]

NEVER = 2**62
"""A time (ms UTC) no bar reaches: `skip_bars` without `until`."""

P = TypeVar("P", bound=msgspec.Struct)
I = TypeVar("I", bound="IndicatorLike")  # noqa: E741


class IndicatorLike(Protocol):
    inputs: ClassVar[tuple[str, ...]]
    outputs: ClassVar[tuple[str, ...]]

    def update(self, *xs: float) -> float: ...

    def update_many(self, *arrays: Any) -> dict[str, Any]: ...


class BoundIndicator(msgspec.Struct):
    """An indicator fed from bar fields of one interval; `plot` maps chart labels to outputs."""

    indicator: Any
    fields: tuple[str, ...]
    plot: dict[str, str]
    interval: str | None = None
    """None: the strategy's trading interval."""


class BarsView:
    """A chunk of one symbol's bars as arrays, with the primed indicators' outputs over it:
    what `Strategy.watch` reads. Row k of every array is the chunk's k-th bar."""

    __slots__ = ("_outputs", "close", "high", "low", "open", "open_time", "volume")

    def __init__(
        self, columns: Mapping[str, np.ndarray], outputs: dict[int, dict[str, np.ndarray]]
    ) -> None:
        self.open_time: np.ndarray = np.asarray(columns["open_time"])
        self.open: np.ndarray = np.asarray(columns["open"], dtype=np.float64)
        self.high: np.ndarray = np.asarray(columns["high"], dtype=np.float64)
        self.low: np.ndarray = np.asarray(columns["low"], dtype=np.float64)
        self.close: np.ndarray = np.asarray(columns["close"], dtype=np.float64)
        self.volume: np.ndarray = np.asarray(columns["volume"], dtype=np.float64)
        self._outputs = outputs

    def output(self, indicator: Any, name: str | None = None) -> np.ndarray:
        """The values `indicator.<name>` (default: its first output) takes on each bar."""
        outs = self._outputs.get(id(indicator))
        if outs is None:
            raise StrategyError(
                f"{type(indicator).__name__} is not one of this strategy's bound indicators on "
                "its trading interval: create it with self.indicator(...) in on_start"
            )
        return outs[name or indicator.outputs[0]]


class _Emitter(Protocol):
    now: int

    def emit(self, event: Any) -> None: ...


class Strategy(Generic[P]):
    """Base of every signal bot. Subclasses set `name`, `Params`, and override `on_bar`."""

    name: ClassVar[str] = ""
    """Registry name used in configs and on the command line."""
    Params: ClassVar[type[msgspec.Struct]]
    """Frozen msgspec Struct of the strategy's tunables: defaults, constraints, one doc line each."""
    interval: ClassVar[str] = "1m"
    """Bar interval the strategy trades on (the bot may override it per deployment)."""
    extra_intervals: ClassVar[tuple[str, ...]] = ()
    """Other intervals of the same symbol the strategy also reads, e.g. ("1d",). Their bars
    reach `on_bar` too (check `bar.interval`), right after the trading-interval bar that closes them."""

    def __init__(
        self, params: P, symbol: str, bot_id: str, ctx: _Emitter, interval: str | None = None
    ) -> None:
        self.params = params
        self.symbol = symbol
        self.bot_id = bot_id
        self.trading_interval = interval or type(self).interval
        self._ctx = ctx
        self._bound: list[BoundIndicator] = []
        self.target = 0.0
        """The exposure this strategy last asked for: +1 long, -1 short, 0 flat."""
        self.last_close = float("nan")
        # The skip promise (see `skip_bars`): bars opening before `_skip_until` whose high stays
        # below `_skip_above` and low above `_skip_below` are not delivered. 0: none.
        self._skip_until = 0
        self._skip_above = math.inf
        self._skip_below = -math.inf
        self._skip_wake: str | None = None
        self._skip_left = -1  # bars that may still be skipped (-1: no count)
        self._skipped = 0
        self.bars_skipped = 0
        """How many trading-interval bars of `symbol` were skipped (`skip_bars`) right before
        the one `on_bar` is handling: state carried from "the previous bar" is stale when > 0."""

    # -- what a strategy overrides ---------------------------------------------------------
    def on_start(self) -> None:
        """Create indicators and state here."""

    def on_bar(self, bar: Bar) -> None:
        """Called on every closed bar of `symbol`, after the indicators have taken it in."""

    def watch(self, bars: BarsView) -> Mapping[str, np.ndarray]:
        """Optional, for `skip_bars(wake_on=...)`: named boolean arrays over a chunk of bars,
        True on each bar where a condition `on_bar` tests could hold (False must mean "on_bar
        would do nothing here"). Computed a chunk at a time in a backtest, from the bars and
        the primed indicator outputs (`bars.output(self.sma)`); never called live.
        """
        return {}

    # -- verbs ------------------------------------------------------------------------------
    def skip_bars(
        self,
        *,
        until: int = NEVER,
        above: float = math.inf,
        below: float = -math.inf,
        wake_on: str | None = None,
        bars: int | None = None,
    ) -> None:
        """Promise that `on_bar` has nothing to do on the coming trading-interval bars of this
        symbol, until one opens at or after `until` (ms UTC), reaches `above` with its high or
        `below` with its low, is marked True in `watch(...)[wake_on]`, or `bars` bars have been
        skipped; those bars are then not delivered (a speed-up: in a backtest most bars of a
        strategy waiting for a level or a signal never reach it). `bars_skipped` says how many
        were when `on_bar` runs again.

        Make it at the end of `on_bar`, from the state as it stands: the bars skipped must be
        ones on which `on_bar` would emit nothing and change no state that matters later. The
        first bar delivered cancels it. Indicators fed per bar keep the strategy awake (they
        must see every bar), and so does `wake_on` where there is no `watch` output (live);
        extra-interval bars are always delivered.
        """
        self._skip_until = until
        self._skip_above = above
        self._skip_below = below
        self._skip_wake = wake_on
        self._skip_left = -1 if bars is None else max(int(bars), 0)

    @property
    def now(self) -> int:
        """Event time (ms UTC) of the bar being handled."""
        return self._ctx.now

    def indicator(
        self,
        ind: I,
        *,
        fields: tuple[str, ...] | None = None,
        plot: str | dict[str, str] | None = None,
        interval: str | None = None,
    ) -> I:
        """Feed `ind` every bar from `fields` (default: the indicator's own `inputs`).

        `interval` picks which bars feed it (default: the trading interval; another one must be
        listed in `extra_intervals`). `plot` names the output(s) to draw on the price chart: a
        label for the main output, or a {label: output_name} mapping.
        """
        use = tuple(fields) if fields is not None else tuple(ind.inputs)
        if isinstance(plot, str):
            plot_map = {plot: ind.outputs[0]}
        else:
            plot_map = dict(plot or {})
        if interval == self.trading_interval:
            interval = None
        if interval is not None and interval not in self.extra_intervals:
            raise ConfigError(
                f"indicator on interval {interval!r} but {type(self).__name__}.extra_intervals is "
                f"{self.extra_intervals!r}: add {interval!r} to extra_intervals",
                where=f"strategy {self.bot_id}",
            )
        self._bound.append(BoundIndicator(ind, use, plot_map if interval is None else {}, interval))
        return ind

    def go_long(
        self,
        reason: str,
        *,
        size: float = 1.0,
        price: float | None = None,
        take_profit: float | None = None,
        stop_loss: float | None = None,
    ) -> None:
        """Ask to hold a long of `size` (0..1 of the trader's allocation). `price` makes it a limit entry."""
        self._signal(abs(size), reason, price, take_profit, stop_loss)

    def go_short(
        self,
        reason: str,
        *,
        size: float = 1.0,
        price: float | None = None,
        take_profit: float | None = None,
        stop_loss: float | None = None,
    ) -> None:
        """Ask to hold a short of `size`. `price` makes it a limit entry."""
        self._signal(-abs(size), reason, price, take_profit, stop_loss)

    def go_flat(self, reason: str, *, price: float | None = None) -> None:
        """Ask to hold nothing. `price` makes the exit a limit order."""
        self._signal(0.0, reason, price, None, None)

    @property
    def is_long(self) -> bool:
        return self.target > 0

    @property
    def is_short(self) -> bool:
        return self.target < 0

    @property
    def is_flat(self) -> bool:
        return self.target == 0

    def _signal(
        self,
        target: float,
        reason: str,
        price: float | None,
        take_profit: float | None,
        stop_loss: float | None,
    ) -> None:
        self.target = target
        self._ctx.emit(
            Signal(
                strategy=self.bot_id,
                symbol=self.symbol,
                ts=self._ctx.now,
                target=target,
                reason=reason,
                entry="limit" if price is not None else "market",
                price=price,
                take_profit=take_profit,
                stop_loss=stop_loss,
                ref_price=self.last_close,
            )
        )
