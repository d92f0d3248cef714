"""Orders from the bus to a ccxt pro venue, and their lifecycle back: `cmd.<venue>` → REST; the
private order and trade streams → `exec.<trader>`. Shared by the live adapters.

Each SubmitOrder / CancelOrder becomes its own asyncio task, so a burst of commands (ten symbols
rebalancing on one bar) goes out concurrently instead of one round trip after another. A refused
order is published as `OrderUpdate(status="rejected")` whose `reason` names the cause (the venue's
`errors.rejection_reason`). Which trader owns an order comes from its client order id,
`<trader>-<seq>` (see `parse.trader_from_client_order_id`), so updates of orders placed before a
restart still reach the right `exec.<trader>`. Order updates are deduplicated by
(client_order_id, status, filled qty), fills by trade id.

With an order store (`store=`, or `attach_store` before `start`), the store is the source of
truth (ARCHITECTURE.md, "Orders: never lost, never doubled"): each SubmitOrder is written as a
"pending" intent *before* the REST request (an id the store already knows is never sent again),
and every OrderUpdate and Fill is recorded; one is published only when the store moved forward,
so each state change and each fill reaches the bus once, also across a restart. `start()` then
reconciles the unfinished orders with the exchange (`venues.common.reconcile`) before it
subscribes to commands. Without a store the adapter keeps its in-memory deduplication only.

The public account reads (`fetch_balance`, `fetch_positions`, `fetch_open_orders`, `market`)
answer in ccxt's unified structures, the shared format of `venues.common.parse`.

A venue subclasses `CcxtExecution` and fills in the hooks: the order type and params of a
command, the cancel params, how to find an order by client order id, the first update built
from the create answer, how a trade names its client order id, the trade → Fill conversion and
the error mapping.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import ccxt

from tradeyard.bus import Bus, Subscription
from tradeyard.errors import VenueError
from tradeyard.events import CancelOrder, Event, Fill, OrderUpdate, SubmitOrder, topics
from tradeyard.store.records import FINISHED
from tradeyard.venues.common.account_stream import (
    AccountStream,
    BalanceHandler,
    PositionHandler,
)
from tradeyard.venues.common.backoff import Backoff
from tradeyard.venues.common.order_poll import OrderPoll
from tradeyard.venues.common.parse import order_update_from_order, trader_from_client_order_id
from tradeyard.venues.common.reconcile import reconcile, update_from_record
from tradeyard.venues.common.symbols import to_ccxt, to_venue
from tradeyard.venues.common.tasks import cancel_and_wait

if TYPE_CHECKING:
    from tradeyard.store import OrderStore

__all__ = ["CcxtExecution", "ExecutionConfig"]

log = logging.getLogger(__name__)
_ASK_ATTEMPTS = 4
"""How often an unanswered order is asked about before it is treated as rejected."""


class ExecutionConfig(Protocol):
    venue: str
    reconnect_delay_s: float
    symbols: list[str]


class CcxtExecution:
    """Sends the venue's commands and publishes order updates and fills. `start()`, `close()`."""

    trade_stream = "trade"
    """What the venue calls its private trade stream (for log lines)."""
    stream_first_wins = False
    """True when the create answer is poorer than the order stream's update (Bybit): the update
    built from it is not published once the stream reported the order."""

    def __init__(
        self, bus: Bus, client: Any, config: ExecutionConfig, store: OrderStore | None = None
    ) -> None:
        self._bus = bus
        self._client = client
        self._venue = config.venue
        self._delay = config.reconnect_delay_s
        self._max_delay = float(getattr(config, "reconnect_max_delay_s", 30.0))
        self._symbols = list(config.symbols)
        self._store = store
        # "websocket": orders and cancels go over the exchange's websocket trading API (Binance
        # WS API, Bybit /v5/trade): one less TLS/HTTP round trip per order on a kept-open socket.
        self._ws_orders = getattr(config, "order_transport", "rest") == "websocket"
        self._leverage: dict[str, int] = {}  # symbol -> leverage last set on the exchange
        self._margin_mode: str | None = getattr(config, "margin_mode", None)
        self._owner: dict[str, str] = {}
        self._seen_updates: set[tuple[str, str, float]] = set()
        self._updated: set[str] = set()
        self._seen_fills: set[str] = set()
        self._heard: dict[str, float] = {}
        """time.monotonic() of the last report about each open order (the order poll's clock)."""
        self._poll_s = float(getattr(config, "order_poll_s", 0.0))
        self._reconciling = False
        self.order_poll: OrderPoll | None = None
        self._inflight: set[asyncio.Task[Any]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscription: Subscription | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(venue={self._venue!r}, inflight={len(self._inflight)}, "
            f"orders_over={'websocket' if self._ws_orders else 'rest'})"
        )

    # -- venue hooks --------------------------------------------------------------------------
    def order_params(self, cmd: SubmitOrder) -> tuple[str, dict[str, Any]]:
        """ccxt order type and params for a command."""
        raise NotImplementedError

    def cancel_params(self, client_order_id: str) -> dict[str, Any]:
        """ccxt params of a cancel by client order id."""
        raise NotImplementedError

    def accepted_update(self, cmd: SubmitOrder, order: Mapping[str, Any]) -> OrderUpdate:
        """The first update of an order the venue accepted, from its create answer."""
        return order_update_from_order(
            order, self._venue, cmd.symbol, cmd.trader, self._client.milliseconds()
        )

    async def find_order(self, symbol: str, client_order_id: str) -> Mapping[str, Any] | None:
        """The exchange's ccxt order with this client order id (also when finished), or None
        when the exchange never saw it."""
        raise NotImplementedError

    def on_cancelled(self, cmd: CancelOrder, order: Any) -> None:
        """Called with the cancel answer; the `canceled` update normally comes on the stream."""

    def trade_client_order_id(self, trade: Mapping[str, Any]) -> str:
        return str(trade.get("clientOrderId") or "")

    def stream_order(self, order: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """An order from the private stream as it is to be attributed (by its `clientOrderId`):
        a venue may learn from it, re-key it to the order that owns it, or hold it (None)."""
        return order

    def fill_from_trade(
        self, trade: Mapping[str, Any], symbol: str, trader: str, client_order_id: str
    ) -> Fill:
        raise NotImplementedError

    def from_ccxt(self, exc: BaseException, *, where: str, client_order_id: str) -> VenueError:
        raise NotImplementedError

    def rejection_reason(self, err: VenueError) -> str:
        raise NotImplementedError

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def venue(self) -> str:
        return self._venue

    @property
    def store(self) -> OrderStore | None:
        return self._store

    def attach_store(self, store: OrderStore | None) -> None:
        """Use `store` as the source of truth for orders (before `start`)."""
        if self._subscription is not None:
            raise RuntimeError("attach the store before start(): reconcile runs at start")
        self._store = store

    async def start(self) -> None:
        """Private streams first (nothing is missed while reconciling), then reconcile the
        store's unfinished orders, then take commands."""
        await self._client.load_markets()
        loop = asyncio.get_running_loop()
        self._tasks += [
            loop.create_task(self._watch_orders(), name=f"{self._venue}-watch-orders"),
            loop.create_task(self._watch_trades(), name=f"{self._venue}-watch-trades"),
        ]
        if self._store is not None:
            # While reconciling, a failing store write stops the start instead of publishing
            # anyway: the traders were just seeded from the store, so a fill it may already
            # hold would count twice (later, a lost write is repaired by the next reconcile).
            self._reconciling = True
            try:
                await reconcile(self, self._store, self._symbols)
            finally:
                self._reconciling = False
            if self._poll_s > 0.0:
                self.order_poll = OrderPoll(self, self._store, self._poll_s, (ccxt.BaseError,))
                self._tasks.append(
                    loop.create_task(self.order_poll.run(), name=f"{self._venue}-order-poll")
                )
        if self._margin_mode is not None:
            await self.apply_margin_mode(self._margin_mode)
        self._subscription = self._bus.subscribe(topics.command(self._venue), self._on_command)

    async def apply_margin_mode(self, mode: str) -> None:
        """Venue hook: put the venue's symbols in `mode` before any order (per symbol here)."""
        await asyncio.gather(*(self._apply_margin_mode(s) for s in self._symbols))

    async def _apply_margin_mode(self, symbol: str) -> None:
        """Put `symbol` in the configured margin mode before any order. Already in it is fine;
        a refusal (e.g. a position or open orders on the symbol) stops the start with the
        exchange's reason: trading in another mode than the one configured is a risk the
        operator did not choose."""
        mode = self._margin_mode
        assert mode is not None
        try:
            await self.set_margin_mode(symbol, mode)
        except ccxt.BaseError as e:
            if _margin_mode_unchanged(e):
                return
            err = self.from_ccxt(e, where=f"{self._venue} {symbol}", client_order_id="")
            raise VenueError(
                f"{self._venue} {symbol}: cannot set {mode} margin: {err}; close the symbol's "
                f"position and orders, or set margin_mode to the mode it is in"
            ) from e
        log.info("%s %s: margin mode %s", self._venue, symbol, mode)

    async def set_margin_mode(self, symbol: str, mode: str) -> None:
        """Venue hook: switch one symbol to "cross" or "isolated" margin."""
        await self._client.set_margin_mode(mode, to_ccxt(symbol))

    async def close(self) -> None:
        if self._subscription is not None:
            self._subscription.unsubscribe()
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        await cancel_and_wait(self._tasks)
        self._tasks.clear()
        await self._client.close()

    async def drain(self) -> None:
        """Wait until every command received so far has been answered by the venue."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    # -- commands -----------------------------------------------------------------------------
    def _on_command(self, _topic: str, event: Event) -> None:
        if isinstance(event, SubmitOrder):
            coro: Any = self.submit(event)
        elif isinstance(event, CancelOrder):
            coro = self.cancel(event)
        else:
            return
        task = asyncio.get_running_loop().create_task(coro)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def submit(self, cmd: SubmitOrder) -> OrderUpdate:
        """Write the intent, send one order; publish and return its first OrderUpdate (new, or
        rejected). A client order id the store already knows is not sent again."""
        self._owner[cmd.client_order_id] = cmd.trader
        if self._store is not None:
            refused = self._write_intent(cmd)
            if refused is not None:
                return refused
        order_type, params = self.order_params(cmd)
        create = self._client.create_order_ws if self._ws_orders else self._client.create_order
        try:
            await self._sync_leverage(cmd)
            order = await create(
                to_ccxt(cmd.symbol), order_type, cmd.side, cmd.qty, cmd.price, params
            )
        except ccxt.BaseError as e:
            where = f"{self._venue} {cmd.symbol}"
            err = self.from_ccxt(e, where=where, client_order_id=cmd.client_order_id)
            if self._store is not None and _outcome_unknown(e):
                found = await self._ask_after_unanswered(cmd, err)
                if found is not None:
                    return found
            log.warning("%s: order %s rejected: %s", where, cmd.client_order_id, err)
            update = OrderUpdate(
                cmd.trader, self._venue, cmd.symbol, self._client.milliseconds(),
                cmd.client_order_id, "rejected", cmd.side, cmd.order_type, cmd.qty,
                price=cmd.price, trigger_price=cmd.trigger_price, reduce_only=cmd.reduce_only,
                reason=self.rejection_reason(err),
            )  # fmt: skip
            self.report_update(update)
            return update
        update = self.accepted_update(cmd, order)
        if not (self.stream_first_wins and cmd.client_order_id in self._updated):
            self.report_update(update)
        return update

    async def _sync_leverage(self, cmd: SubmitOrder) -> None:
        """Set the symbol's leverage on the exchange before the first order that asks for a new
        one (whole numbers, rounded up: the exchange setting is a ceiling the trader's sizing
        stays under). Reduce-only orders never need more."""
        if cmd.leverage is None or cmd.reduce_only:
            return
        want = max(1, math.ceil(cmd.leverage - 1e-9))
        if self._leverage.get(cmd.symbol) == want:
            return
        try:
            await self._client.set_leverage(want, to_ccxt(cmd.symbol))
        except ccxt.BaseError as e:
            if not _leverage_unchanged(e):
                raise
        self._leverage[cmd.symbol] = want
        log.info("%s %s: leverage set to %dx", self._venue, cmd.symbol, want)

    async def _ask_after_unanswered(self, cmd: SubmitOrder, err: VenueError) -> OrderUpdate | None:
        """The request failed in a way that does not say whether the exchange took the order (a
        timeout, a dropped connection, a 5xx): ask it by client order id. Its state when found;
        None (treat as rejected) when not found or the question fails too. A rejection inferred
        here still yields in the store if the exchange reports the order later."""
        log.warning("%s: order %s unanswered (%s); asking the exchange", self._venue,
                    cmd.client_order_id, err)  # fmt: skip
        order = None
        for attempt in range(_ASK_ATTEMPTS):
            try:
                order = await self.find_order(cmd.symbol, cmd.client_order_id)
                break
            except ccxt.BaseError as e:
                log.warning("%s: cannot ask about %s (%s)", self._venue, cmd.client_order_id, e)
                if not _outcome_unknown(e) or attempt == _ASK_ATTEMPTS - 1:
                    return None
                await asyncio.sleep(max(self._delay, 0.05) * 2**attempt)
        if order is None:
            return None
        update = self.order_update(order, cmd.symbol, cmd.trader)
        self.report_update(update)
        return update

    def _write_intent(self, cmd: SubmitOrder) -> OrderUpdate | None:
        """None when the intent is stored (send it); else the update to answer instead."""
        assert self._store is not None
        now = self._client.milliseconds()
        try:
            if self._store.record_intent(cmd, now):
                return None
            known = self._store.order(cmd.client_order_id)
        except Exception as e:  # no durable intent: do not send
            log.exception("%s: cannot write the intent of %s", self._venue, cmd.client_order_id)
            update = OrderUpdate(
                cmd.trader, self._venue, cmd.symbol, now, cmd.client_order_id, "rejected",
                cmd.side, cmd.order_type, cmd.qty, price=cmd.price,
                trigger_price=cmd.trigger_price, reduce_only=cmd.reduce_only,
                reason=f"store_unavailable: {type(e).__name__}: {e}",
            )  # fmt: skip
            self._bus.publish(topics.execution(cmd.trader), update)
            return update
        log.error(
            "%s: order %s is already in the store (status %s): a replayed or repeated command, "
            "not sent again", self._venue, cmd.client_order_id, known.status if known else "?",
        )  # fmt: skip
        if known is None:  # pragma: no cover - deleted between the two statements
            return None
        return update_from_record(known, now)

    async def cancel(self, cmd: CancelOrder) -> None:
        """Cancel by client order id; the `canceled` update arrives on the order stream."""
        self._owner[cmd.client_order_id] = cmd.trader
        cancel = self._client.cancel_order_ws if self._ws_orders else self._client.cancel_order
        try:
            order = await cancel(None, to_ccxt(cmd.symbol), self.cancel_params(cmd.client_order_id))
        except ccxt.BaseError as e:
            err = self.from_ccxt(e, where=f"{self._venue} {cmd.symbol}",
                                 client_order_id=cmd.client_order_id)  # fmt: skip
            log.warning("cancel of %s failed: %s", cmd.client_order_id, err)
            return
        self.on_cancelled(cmd, order)

    # -- private streams ----------------------------------------------------------------------
    async def _watch_orders(self) -> None:
        backoff = self._stream_backoff()
        while True:
            try:
                orders = await self._client.watch_orders()
            except ccxt.BaseError as e:
                await self._stream_lost("order", e, backoff)
                continue
            backoff.reset()
            for raw in orders:
                order = self.stream_order(raw)
                if order is None:
                    continue
                coid = str(order.get("clientOrderId") or "")
                trader = self._trader(coid)
                if trader is not None:
                    symbol = to_venue(order["symbol"])
                    update = order_update_from_order(order, self._venue, symbol, trader)
                    self.report_update(update)

    async def _watch_trades(self) -> None:
        backoff = self._stream_backoff()
        while True:
            try:
                trades = await self._client.watch_my_trades()
            except ccxt.BaseError as e:
                await self._stream_lost(self.trade_stream, e, backoff)
                continue
            backoff.reset()
            for trade in trades:
                coid = self.trade_client_order_id(trade)
                trader = self._trader(coid)
                fill_id = str(trade.get("id") or "")
                if trader is None or fill_id in self._seen_fills:
                    continue
                self.report_fill(
                    self.fill_from_trade(trade, to_venue(trade["symbol"]), trader, coid)
                )

    def _stream_backoff(self) -> Backoff:
        return Backoff(self._delay, max(self._delay, self._max_delay))

    async def _stream_lost(self, stream: str, e: BaseException, backoff: Backoff) -> None:
        """Log a lost private stream (an ERROR when the keys are refused: it will not heal by
        itself) and wait the next jittered backoff before watching it again."""
        # Never less than the base delay: re-watching at once can attach to the connection
        # that is being torn down (a listen key being renewed) and wait on it for ever.
        wait = max(self._delay, backoff.next_delay())
        if isinstance(e, ccxt.AuthenticationError):
            log.error("%s: %s stream refused the API key (%s); check the key variables; "
                      "retrying in %.1fs", self._venue, stream, e, wait)  # fmt: skip
        else:
            log.warning("%s: %s stream lost (%s); re-watching in %.2fs", self._venue, stream,
                        e, wait)  # fmt: skip
        await asyncio.sleep(wait)

    def _trader(self, client_order_id: str) -> str | None:
        return self._owner.get(client_order_id) or trader_from_client_order_id(client_order_id)

    # -- recording and publishing -------------------------------------------------------------
    def report_update(self, update: OrderUpdate) -> bool:
        """Record and publish an order's state once; False when it was no news."""
        key = (update.client_order_id, update.status, update.filled_qty)
        if update.status in FINISHED:
            self._heard.pop(update.client_order_id, None)
        else:
            self._heard[update.client_order_id] = time.monotonic()
        if key in self._seen_updates:
            return False
        self._seen_updates.add(key)
        self._owner.setdefault(update.client_order_id, update.trader)
        if self._store is not None and not self._stored(
            self._store.record_update, update, self._client.milliseconds()
        ):
            return False
        self._updated.add(update.client_order_id)
        self._bus.publish(topics.execution(update.trader), update)
        return True

    def last_heard(self, client_order_id: str) -> float | None:
        return self._heard.get(client_order_id)

    def report_fill(self, fill: Fill) -> bool:
        """Record and publish a fill once (by trade id); False when it was known."""
        if fill.client_order_id in self._heard:
            self._heard[fill.client_order_id] = time.monotonic()
        if fill.fill_id and fill.fill_id in self._seen_fills:
            return False
        self._seen_fills.add(fill.fill_id)
        if self._store is not None and not self._stored(self._store.record_fill, fill):
            return False
        self._bus.publish(topics.execution(fill.trader), fill)
        return True

    def _stored(self, write: Any, *args: Any) -> bool:
        """Run a store write; a failing store is logged and does not silence the bus (the next
        reconcile repairs the store from the exchange), except while reconciling (see `start`)."""
        try:
            return bool(write(*args))
        except Exception as e:
            if self._reconciling:
                raise VenueError(
                    f"{self._venue}: the order store failed while reconciling ({e}); not starting "
                    "on a store that may not hold what the traders were seeded with: check the "
                    "database and start again"
                ) from e
            log.exception("%s: order store write failed; publishing anyway", self._venue)
            return True

    # -- account reads (ccxt unified structures) ----------------------------------------------
    def account_stream(
        self,
        on_balance: BalanceHandler | None = None,
        on_position: PositionHandler | None = None,
    ) -> AccountStream:
        """The wallet and positions pushed on this client's private websocket (not started)."""
        return AccountStream(
            self._client, self._venue, self._symbols, on_balance=on_balance,
            on_position=on_position, reconnect_delay_s=self._delay,
        )  # fmt: skip

    def now_ms(self) -> int:
        return int(self._client.milliseconds())

    async def load_markets(self) -> None:
        await self._client.load_markets()

    def market(self, symbol: str) -> Mapping[str, Any] | None:
        """The loaded ccxt market of `symbol` (BTCUSDT), or None when the venue lists none."""
        markets = self._client.markets or {}
        return markets.get(to_ccxt(symbol))

    async def fetch_balance(self) -> Mapping[str, Any]:
        return await self._client.fetch_balance()

    async def fetch_positions(self, symbols: list[str]) -> list[Mapping[str, Any]]:
        """Positions on `symbols` (one request: Bybit takes one symbol or none, so several are
        asked as "all linear USDT" and filtered here)."""
        wanted = [to_ccxt(s) for s in symbols]
        rows = await self._client.fetch_positions(wanted if len(wanted) == 1 else None)
        return [p for p in rows if p.get("symbol") in wanted]

    async def fetch_open_orders(self, symbol: str) -> list[Mapping[str, Any]]:
        return await self._client.fetch_open_orders(to_ccxt(symbol))

    async def fetch_order_trades(self, symbol: str, venue_order_id: str) -> list[Mapping[str, Any]]:
        """The trades of one order (by the exchange's order id)."""
        trades = await self._client.fetch_my_trades(
            to_ccxt(symbol), None, None, {"orderId": venue_order_id}
        )
        return [t for t in trades if str(t.get("order") or "") == venue_order_id]

    def order_update(self, order: Mapping[str, Any], symbol: str, trader: str) -> OrderUpdate:
        """A fetched ccxt order → OrderUpdate (the hook the stream uses too)."""
        return order_update_from_order(order, self._venue, symbol, trader, self.now_ms())

    def fill(self, trade: Mapping[str, Any], symbol: str, trader: str, coid: str) -> Fill:
        return self.fill_from_trade(trade, symbol, trader, coid)


def _margin_mode_unchanged(exc: BaseException) -> bool:
    """Binance -4046 "No need to change margin type", Bybit 110026 "not modified"."""
    return isinstance(exc, ccxt.MarginModeAlreadySet) or any(
        code in str(exc) for code in ("-4046", "110026")
    )


def _leverage_unchanged(exc: BaseException) -> bool:
    """Bybit answers 110043 "leverage not modified" when it already is what was asked."""
    return "110043" in str(exc)


def _outcome_unknown(exc: BaseException) -> bool:
    """A network failure that is not a refusal: the order may or may not have been taken."""
    return isinstance(exc, ccxt.NetworkError) and not isinstance(exc, ccxt.DDoSProtection)
