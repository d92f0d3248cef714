"""The live kernel: a validated RunConfig in, the same bots as a backtest running on live bars.

Object graph (as `backtest.runner`, with live edges instead of the replay engine): one
in-process bus; per `[[venues]]` entry either a live adapter (bars from its websocket, orders
over REST, fills from its user stream) or a paper SimVenue fed by another venue's bars; an
AggregatorBot per data venue for coarser intervals; a StrategyBot per strategy; a Trader per
trader. Subscription order matters on the in-process bus: a paper SimVenue sees a bar before
the strategies do, exactly as in a backtest (a signal on a bar's close fills at the next open).

Start-up: instrument filters and the wallet are read over REST (the wallet reaches the traders as
a BalanceUpdate), then each adapter starts: its user stream, then its warm-up bars, which go
through the bots like any bars with the traders *paused*, so history builds indicators but sends
no orders; then live bars, traders on. From then on the wallet and the positions come from the
private websocket (`AccountStream`): each wallet change reaches the traders as a BalanceUpdate
(re-read over REST when the stream does not say what is available), and the exchange's positions
show in `status()`.

Across a restart (`runtime.restart`): before each live adapter starts, every trader on it is
seeded with its net position (and entry price) from its recorded fills in the order store; the
adapter's reconcile then publishes only the fills the store did not have (made while the node
was down), which the trader adds on top: each fill counts once. After reconcile each trader
takes back its orders still open on the exchange (its next signal cancels them), and the sum of
the traders' positions per symbol is compared with the exchange's: a difference (a manual
trade, another system on the account, a lost fill) is logged as a WARNING and left alone. Paper
venues start from a fresh simulated account.

The order store (`[store]`, default a SQLite file next to the config) is opened when there is a
live venue: each live adapter writes an order's intent before sending it, records every update
and fill, and when it starts reconciles the store's unfinished orders with the exchange (before
it takes commands), publishing what happened while the node was down on `exec.<trader>`. A
trader on a live venue continues its order sequence from the store, so its client order ids are
never reused across restarts. The store is closed last on shutdown.

Shutdown (`request_stop`, SIGINT/SIGTERM through the CLI, or `--for`): strategies pause, traders
pause; open orders are cancelled (`cancel_open_orders`); positions are kept or flattened with
reduce-only market orders (`positions = "flatten"`), waiting up to `timeout_s` for the fills (the
feeds keep running so a paper venue can fill them); then what is left open is logged and returned.

Bots never read the clock: the node's BalanceUpdates carry the time of the last bar seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tradeyard.backtest.runner import aggregator_bots, check_aggregatable
from tradeyard.bots import BotContext, StrategyBot, Trader
from tradeyard.bots.aggregator import AggregatorBot
from tradeyard.bots.bot import Bot
from tradeyard.bots.sizing import never_orders
from tradeyard.bots.sizing_record import SizingDecision
from tradeyard.bus import InProcessBus
from tradeyard.config import build_params
from tradeyard.errors import ConfigError, TradeyardError, VenueUnavailable
from tradeyard.events import (
    BalanceUpdate,
    Bar,
    CancelOrder,
    Event,
    Fill,
    InstrumentSpec,
    OrderUpdate,
    topics,
)
from tradeyard.events.topics import topic_for
from tradeyard.runtime.config import RunConfig
from tradeyard.runtime.live_venue import LiveVenue, build_live_venue
from tradeyard.runtime.position_watch import PositionWatch
from tradeyard.runtime.restart import (
    adopt_open_orders,
    compare_positions,
    owners_of,
    restore_positions,
)
from tradeyard.store import OrderStore, open_store
from tradeyard.strategies import get as get_strategy
from tradeyard.venues.common.account_stream import AccountStream, ExchangePosition
from tradeyard.venues.common.tasks import cancel_and_wait
from tradeyard.venues.sim import SimVenue, SimVenueConfig
from tradeyard.venues.sim.config import default_instrument

__all__ = ["Node", "ShutdownReport"]

log = logging.getLogger(__name__)


@dataclass
class ShutdownReport:
    """What was left open when the node stopped."""

    positions: dict[str, dict[str, float]] = field(default_factory=dict)
    """Trader id → symbol → signed qty, as the trader knows it (non-zero only)."""
    venue_positions: dict[str, dict[str, float]] = field(default_factory=dict)
    """Live venue name → symbol → signed qty, as the exchange reports it (non-zero only)."""
    open_orders: dict[str, list[str]] = field(default_factory=dict)
    """Venue name → client order ids still open."""
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        for trader, pos in self.positions.items():
            text = ", ".join(f"{s} {q:+g}" for s, q in pos.items()) or "flat"
            out.append(f"trader {trader}: {text}")
        for venue, pos in self.venue_positions.items():
            text = ", ".join(f"{s} {q:+g}" for s, q in pos.items()) or "flat"
            out.append(f"venue {venue} (exchange): {text}")
        for venue, ids in self.open_orders.items():
            if ids:
                out.append(f"venue {venue}: open orders {', '.join(ids)}")
        out += [f"error: {e}" for e in self.errors]
        return out


@dataclass
class Stats:
    bars: int = 0
    signals: int = 0
    orders: int = 0
    fills: int = 0
    rejections: int = 0
    skipped: int = 0
    """Signals a trader could not turn into an order (`SizingDecision.skip`)."""
    last_bar_ms: int = 0
    warm: bool = False


class Node:
    """Build with a config and its environment (for the API keys), then `await run()`."""

    def __init__(self, cfg: RunConfig, env: Mapping[str, str]) -> None:
        self.cfg = cfg
        self.env = env
        self.bus = InProcessBus()
        self.stats = Stats()
        self.live: dict[str, LiveVenue] = {}
        self.paper: dict[str, SimVenue] = {}
        self.strategies: list[StrategyBot] = []
        self.aggregators: list[AggregatorBot] = []
        self.traders: dict[str, Trader] = {}
        self.store: OrderStore | None = None
        self.errors: list[str] = []
        self.started = asyncio.Event()
        self._stop = asyncio.Event()
        self._refresh: dict[str, asyncio.Task[None] | None] = {}
        self._refresh_again: set[str] = set()
        self._accounts: dict[str, AccountStream] = {}
        self._checkpoints: asyncio.Task[None] | None = None
        self._watches: list[PositionWatch] = []
        self._watch_tasks: list[asyncio.Task[None]] = []
        self.exchange_positions: dict[str, dict[str, float]] = {}
        """Per live venue, the positions its private websocket last reported (symbol → qty)."""
        self._built = False
        self._closed = False

    def __repr__(self) -> str:
        return f"Node(venues={[v.name for v in self.cfg.venues]}, traders={list(self.traders)})"

    # -- building ----------------------------------------------------------------------------
    def _ctx(self, bot_id: str) -> BotContext:
        bus = self.bus
        return BotContext(bot_id, lambda e: bus.publish(topic_for(e), e), seed=self.cfg.seed)

    def _subscribe(self, bot: Bot) -> None:
        for pattern, handler in bot.handlers():
            self.bus.subscribe(pattern, self._guard(bot.bot_id, handler))

    def _guard(
        self, who: str, handler: Callable[[str, Event], None]
    ) -> Callable[[str, Event], None]:
        """A failing bot must not kill the venue task that delivered the event: log, stop."""

        def guarded(topic: str, event: Event) -> None:
            try:
                handler(topic, event)
            except Exception as e:
                log.exception("%s failed on %s", who, topic)
                self.errors.append(f"{who} on {topic}: {type(e).__name__}: {e}")
                self._stop.set()

        return guarded

    async def build(self) -> None:
        """Create venues, load instrument filters, create and subscribe the bots."""
        cfg = self.cfg
        if any(v.kind != "paper" for v in cfg.venues) and self.store is None:
            self.store = open_store(cfg.store.url, durability=cfg.store.durability)
        for v in cfg.venues:
            if v.kind != "paper":
                self.live[v.name] = build_live_venue(self.bus, v, self.env, self.store)
        instruments: dict[str, dict[str, InstrumentSpec]] = {}
        for name, lv in self.live.items():
            async with _reaching(lv):
                instruments[name] = await lv.load_instruments()
        self.bus.subscribe("md.>", self._count_bar)
        self.bus.subscribe("sig.>", self._count)
        self.bus.subscribe("cmd.>", self._count)
        # Paper venues first: they must see each bar before the strategies react to it.
        for v in cfg.venues:
            if v.kind != "paper":
                continue
            data = cfg.venue(v.data)
            specs = instruments.get(data.name) or {s: default_instrument(s) for s in data.symbols}
            sim = SimVenue(
                SimVenueConfig(
                    name=v.name, maker_fee=v.maker_fee, taker_fee=v.taker_fee,
                    starting_balance=v.starting_balance, instruments=specs,
                ),
                self.bus.publish,
            )  # fmt: skip
            for sym in data.symbols:
                self.bus.subscribe(topics.bar(data.name, sym, data.interval), _bar_feed(sim))
            self.bus.subscribe(topics.command(v.name), self._guard(v.name, sim.on_command))
            self.paper[v.name] = sim
            instruments[v.name] = specs
        # Strategies, grouped by the venue whose bars they read (aggregators per data venue).
        by_data: dict[str, list[StrategyBot]] = {}
        for i, s in enumerate(cfg.strategies):
            data = cfg.data_venue(s.venue)
            cls = get_strategy(s.strategy)
            bot = StrategyBot(
                self._ctx(s.id),
                cls,
                build_params(s.strategy, s.params, where=f"strategies[{i}]"),
                s.symbols or data.symbols,
                venue=data.name,
                interval=s.interval or cls.interval,
            )
            for iv in bot.intervals():
                check_aggregatable(data.interval, iv, where=f"strategies[{i}].interval")
            by_data.setdefault(data.name, []).append(bot)
            self.strategies.append(bot)
        for name, bots in by_data.items():
            self.aggregators += aggregator_bots(
                bots, cfg.venue(name).interval, name, 0, lambda bid, n=name: self._ctx(f"{n}-{bid}")
            )
        for agg in self.aggregators:
            self._subscribe(agg)
        for bot in self.strategies:
            self._subscribe(bot)
        for i, t in enumerate(cfg.traders):
            data = cfg.data_venue(t.venue)
            specs = instruments[t.venue]
            for sym in t.symbols or data.symbols:
                cap = specs[sym].max_leverage
                if t.leverage > cap:
                    raise ConfigError(
                        f"leverage {t.leverage:g} above the venue's maximum {cap:g} for {sym}",
                        where=f"traders[{i}].leverage",
                    )
                reason = never_orders(t.sizing, specs[sym])
                if reason is not None:
                    raise ConfigError(reason, where=f"traders[{i}].sizing")
            taker = cfg.venue(t.venue).taker_fee
            trader = Trader(
                self._ctx(t.id), t.venue, t.follows, t.sizing, t.leverage, specs,
                symbols=t.symbols, allocation=t.allocation,
                max_symbol_leverage=t.max_symbol_leverage,
                max_total_leverage=t.max_total_leverage, margin_buffer=t.margin_buffer,
                taker_fee=taker, bar_interval=data.interval,
                venue_brackets=t.venue in self.paper,  # exchanges know no parent orders
            )  # fmt: skip
            trader.paused = True  # until the warm-up bars are through
            trader.on_decision = functools.partial(self._on_decision, t.id)
            if self.store is not None and t.venue in self.live:
                trader.ctx.resume_after(self.store.last_sequence(t.id))
            self._subscribe(trader)
            self.bus.subscribe(topics.execution(t.id), self._on_exec)
            self.traders[t.id] = trader
        for name, sim in self.paper.items():
            for trader in self._traders_on(name):
                sim.open_account(trader.bot_id)
        self._built = True

    def _traders_on(self, venue: str) -> list[Trader]:
        return [t for t in self.traders.values() if t.venue == venue]

    # -- counters and account refresh --------------------------------------------------------
    def _count_bar(self, _topic: str, event: Event) -> None:
        if isinstance(event, Bar) and event.closed:
            self.stats.bars += 1
            self.stats.last_bar_ms = max(self.stats.last_bar_ms, event.close_time)

    def _count(self, topic: str, _event: Event) -> None:
        if topic.startswith("sig."):
            self.stats.signals += 1
        else:
            self.stats.orders += 1

    def _on_exec(self, _topic: str, event: Event) -> None:
        if isinstance(event, Fill):
            self.stats.fills += 1
        elif isinstance(event, OrderUpdate) and event.status == "rejected":
            self.stats.rejections += 1
            log.warning("%s: order %s rejected: %s", event.trader, event.client_order_id,
                        event.reason)  # fmt: skip

    def _on_decision(self, trader: str, decision: SizingDecision) -> None:
        if decision.status == "skipped" and decision.skip:
            self.stats.skipped += 1
            log.warning("%s: signal on %s not traded: %s", trader, decision.symbol, decision.reason)

    def _on_wallet(self, venue: str, wallet: float, available: float | None) -> None:
        """The private websocket reported the wallet: pass it on to the venue's traders. A
        stream that does not say what is available (Binance's ACCOUNT_UPDATE) triggers one
        REST read of both instead."""
        if available is None:
            self._schedule_refresh(venue)
            return
        for trader in self._traders_on(venue):
            self.bus.publish(
                topics.execution(trader.bot_id),
                BalanceUpdate(trader.bot_id, venue, self.stats.last_bar_ms, "USDT", wallet,
                              available, reason="stream"),
            )  # fmt: skip

    def _on_exchange_position(self, venue: str, pos: ExchangePosition) -> None:
        self.exchange_positions.setdefault(venue, {})[pos.symbol] = pos.qty

    def _schedule_refresh(self, venue: str) -> None:
        """Re-read the wallet over REST (coalesced: one request in flight per venue)."""
        task = self._refresh.get(venue)
        if task is not None and not task.done():
            self._refresh_again.add(venue)
            return
        self._refresh[venue] = asyncio.get_running_loop().create_task(self._refresh_loop(venue))

    async def _refresh_loop(self, venue: str) -> None:
        while True:
            self._refresh_again.discard(venue)
            try:
                await self.publish_balance(venue)
            except Exception as e:  # the next fill tries again
                log.warning("%s: balance refresh failed: %s", venue, e)
            if venue not in self._refresh_again:
                return

    async def publish_balance(self, venue: str) -> None:
        wallet, free = await self.live[venue].balance()
        for trader in self._traders_on(venue):
            self.bus.publish(
                topics.execution(trader.bot_id),
                BalanceUpdate(trader.bot_id, venue, self.stats.last_bar_ms, "USDT", wallet, free,
                              reason="snapshot"),
            )  # fmt: skip

    # -- running -----------------------------------------------------------------------------
    async def start(self) -> None:
        if not self._built:
            await self.build()
        for bot in [*self.aggregators, *self.strategies, *self.traders.values()]:
            bot.on_start()
        for name, lv in self.live.items():
            if self._traders_on(name):
                async with _reaching(lv):
                    await self.publish_balance(name)
            # Before `lv.start()`: its reconcile records *and* publishes each fill the store did
            # not have yet (one made while the node was down), so that fill lands on top of this
            # seed exactly once; a fill already in the store is in the seed and is not published.
            if self.store is not None and self._traders_on(name):
                restore_positions(self.store, name, self._traders_on(name))
        for name, lv in self.live.items():
            async with _reaching(lv):
                await lv.start()  # user stream, then warm-up bars through the (paused) bots
                # After reconcile, so both sides include the fills made while the node was down.
                on_exchange = await lv.positions()
            traders = self._traders_on(name)
            if self.store is not None and traders:
                adopt_open_orders(self.store, name, traders)
            compare_positions(name, on_exchange, traders, self.store, lv.entry.symbols)
            self.exchange_positions[name] = dict(on_exchange)  # the stream keeps it current
            if traders and lv.entry.position_check_s > 0.0:
                self._watches.append(
                    PositionWatch(name, traders, self.exchange_positions[name],
                                  functools.partial(self._others_on, name), lv.entry.symbols)
                )  # fmt: skip
            if self._traders_on(name):
                stream = lv.account_stream(
                    functools.partial(self._on_wallet, name),
                    functools.partial(self._on_exchange_position, name),
                )
                await stream.start()
                self._accounts[name] = stream
        for trader in self.traders.values():
            trader.paused = False
        self.stats.warm = True
        # Everything built so far (ccxt's market tables, bots, warm-up history) lives for the
        # whole run: move it out of the cyclic GC's reach, so a full collection in the middle of
        # trading walks only what trading allocates (a latency spike of several ms otherwise).
        gc.freeze()
        if self.store is not None:
            self._checkpoints = asyncio.get_running_loop().create_task(self._checkpoint_loop())
        for watch in self._watches:
            every = self.cfg.venue(watch.venue).position_check_s
            self._watch_tasks.append(
                asyncio.get_running_loop().create_task(self._watch_loop(watch, every))
            )
        self.started.set()
        log.info("node running: %s", self)

    async def _checkpoint_loop(self, every_s: float = 5.0) -> None:
        """The order store's WAL checkpoints, in a worker thread, away from the order path."""
        assert self.store is not None
        while True:
            await asyncio.sleep(every_s)
            try:
                await asyncio.to_thread(self.store.checkpoint)
            except Exception as e:  # the next round tries again; commits are unaffected
                log.warning("order store checkpoint failed: %s", e)

    def _others_on(self, venue: str) -> dict[str, dict[str, float]]:
        """What the store says owners other than this node's traders hold on `venue` (another
        node sharing the store and the account, a trader no longer configured)."""
        if self.store is None:
            return {}
        mine = self._traders_on(venue)
        return {
            o: p for o, p in owners_of(venue, mine, self.store).items() if o not in self.traders
        }

    async def _watch_loop(self, watch: PositionWatch, every_s: float) -> None:
        """The traders' positions against the exchange's (`runtime.position_watch`)."""
        while True:
            await asyncio.sleep(every_s)
            try:
                watch.check()
            except Exception:  # a bug here must not stop trading; the next round tries again
                log.exception("%s: position check failed", watch.venue)

    def request_stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    async def run(self, duration_s: float | None = None) -> ShutdownReport:
        """Start, run until `request_stop` (or `duration_s`), shut down; the report of what is left."""
        try:
            await self.start()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), duration_s)
            return await self.shutdown()
        except BaseException:
            await self._close_all()
            raise

    async def shutdown(self) -> ShutdownReport:
        cfg = self.cfg.shutdown
        for bot in self.strategies:
            bot.paused = True
        for trader in self.traders.values():
            trader.paused = True
        deadline = time.monotonic() + cfg.timeout_s
        if cfg.positions == "flatten":
            for trader in self.traders.values():
                trader.flatten()  # cancels its orders, closes with reduce-only market orders
        elif cfg.cancel_open_orders:
            for trader in self.traders.values():
                for symbol, orders in list(trader.open_orders.items()):
                    for cid in list(orders):
                        self.bus.publish(
                            topics.command(trader.venue),
                            CancelOrder(trader.bot_id, trader.venue, symbol, trader.ctx.now, cid),
                        )
        for lv in self.live.values():
            await lv.drain()
        while time.monotonic() < deadline and not self._settled(cfg.positions == "flatten"):
            await asyncio.sleep(0.05)
        report = ShutdownReport(errors=list(self.errors))
        for tid, trader in self.traders.items():
            report.positions[tid] = {s: q for s, q in trader.positions.items() if q}
        for name, lv in self.live.items():
            try:
                report.venue_positions[name] = await lv.positions()
                report.open_orders[name] = [cid for _s, cid in await lv.open_orders()]
            except Exception as e:
                report.errors.append(f"{name}: could not read the account: {e}")
        for name, sim in self.paper.items():
            report.open_orders[name] = [
                o.client_order_id for t in self._traders_on(name) for o in sim.open_orders(t.bot_id)
            ]
        for bot in [*self.traders.values(), *self.strategies]:
            bot.on_stop()
        await self._close_all()
        for line in report.lines():
            log.info("left open: %s", line)
        return report

    def _settled(self, flatten: bool) -> bool:
        for trader in self.traders.values():
            if any(trader.open_orders.values()) and (
                flatten or self.cfg.shutdown.cancel_open_orders
            ):
                return False
            if flatten and any(q for q in trader.positions.values()):
                return False
        return True

    async def _close_all(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._checkpoints is not None:
            self._checkpoints.cancel()
            with contextlib.suppress(BaseException):
                await self._checkpoints
        await cancel_and_wait(self._watch_tasks)
        self._watch_tasks.clear()
        for stream in self._accounts.values():
            await stream.close()
        self._accounts.clear()
        for task in self._refresh.values():
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        self._refresh.clear()
        for name, lv in self.live.items():
            try:
                await lv.close()
            except Exception as e:
                log.warning("%s: close failed: %s", name, e)
        if self.store is not None:
            self.store.close()
        self.bus.close()

    # -- status ------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        s = self.stats
        return {
            "warm": s.warm,
            "bars": s.bars,
            "signals": s.signals,
            "orders": s.orders,
            "fills": s.fills,
            "rejections": s.rejections,
            "skipped": s.skipped,
            "last_bar_ms": s.last_bar_ms,
            "positions": {
                tid: {k: q for k, q in t.positions.items() if q} for tid, t in self.traders.items()
            },
            "wallet": {tid: t.wallet for tid, t in self.traders.items()},
            "exchange_positions": {
                v: {k: q for k, q in ps.items() if q} for v, ps in self.exchange_positions.items()
            },
        }


@contextlib.asynccontextmanager
async def _reaching(lv: LiveVenue) -> AsyncIterator[None]:
    """Start-up failures of a venue become one VenueError naming the venue and its URL."""
    try:
        yield
    except TradeyardError:
        raise
    except Exception as e:
        where = lv.entry.rest_url or lv.entry.environment
        raise VenueUnavailable(
            f"venue {lv.name!r} ({where}): cannot start: {type(e).__name__}: {e}; is it "
            "reachable, and are the API key variables for this environment?"
        ) from e


def _bar_feed(sim: SimVenue) -> Callable[[str, Event], None]:
    def feed(_topic: str, event: Event) -> None:
        if isinstance(event, Bar):
            sim.on_bar(event)

    return feed
