"""Orders from the bus to a ccxt pro venue, and their lifecycle back: `cmd.<venue>` → REST; the
private order and trade streams → `exec.<trader>`. Shared by the live adapters.

Each SubmitOrder / CancelOrder becomes its own asyncio task, so a burst of commands (ten symbols
rebalancing on one bar) goes out concurrently instead of one round trip after another. A refused
order is published as `OrderUpdate(status="rejected")` whose `reason` names the cause (the venue's
`errors.rejection_reason`). Which trader owns an order comes from its client order id,
`<trader>-<seq>` (see `parse.trader_from_client_order_id`), so updates of orders placed before a
restart still reach the right `exec.<trader>`. Order updates are deduplicated by
(client_order_id, status, filled qty), fills by trade id.

A venue subclasses `CcxtExecution` and fills in the hooks: the order type and params of a
command, the cancel params, the first update built from the create answer, how a trade names its
client order id, the trade → Fill conversion and the error mapping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any, Protocol

import ccxt

from tradeyard.bus import Bus, Subscription
from tradeyard.errors import VenueError
from tradeyard.events import CancelOrder, Event, Fill, OrderUpdate, SubmitOrder, topics
from tradeyard.venues.common.parse import order_update_from_order, trader_from_client_order_id
from tradeyard.venues.common.symbols import to_ccxt, to_venue

__all__ = ["CcxtExecution", "ExecutionConfig"]

log = logging.getLogger(__name__)


class ExecutionConfig(Protocol):
    venue: str
    reconnect_delay_s: float


class CcxtExecution:
    """Sends the venue's commands and publishes order updates and fills. `start()`, `close()`."""

    trade_stream = "trade"
    """What the venue calls its private trade stream (for log lines)."""
    stream_first_wins = False
    """True when the create answer is poorer than the order stream's update (Bybit): the update
    built from it is not published once the stream reported the order."""

    def __init__(self, bus: Bus, client: Any, config: ExecutionConfig) -> None:
        self._bus = bus
        self._client = client
        self._venue = config.venue
        self._delay = config.reconnect_delay_s
        self._owner: dict[str, str] = {}
        self._seen_updates: set[tuple[str, str, float]] = set()
        self._updated: set[str] = set()
        self._seen_fills: set[str] = set()
        self._inflight: set[asyncio.Task[Any]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscription: Subscription | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(venue={self._venue!r}, inflight={len(self._inflight)})"

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

    def on_cancelled(self, cmd: CancelOrder, order: Any) -> None:
        """Called with the cancel answer; the `canceled` update normally comes on the stream."""

    def trade_client_order_id(self, trade: Mapping[str, Any]) -> str:
        return str(trade.get("clientOrderId") or "")

    def fill_from_trade(
        self, trade: Mapping[str, Any], symbol: str, trader: str, client_order_id: str
    ) -> Fill:
        raise NotImplementedError

    def from_ccxt(self, exc: BaseException, *, where: str, client_order_id: str) -> VenueError:
        raise NotImplementedError

    def rejection_reason(self, err: VenueError) -> str:
        raise NotImplementedError

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        await self._client.load_markets()
        loop = asyncio.get_running_loop()
        self._tasks += [
            loop.create_task(self._watch_orders(), name=f"{self._venue}-watch-orders"),
            loop.create_task(self._watch_trades(), name=f"{self._venue}-watch-trades"),
        ]
        self._subscription = self._bus.subscribe(topics.command(self._venue), self._on_command)

    async def close(self) -> None:
        if self._subscription is not None:
            self._subscription.unsubscribe()
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
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
        """Send one order; publish and return its first OrderUpdate (new, or rejected)."""
        self._owner[cmd.client_order_id] = cmd.trader
        order_type, params = self.order_params(cmd)
        try:
            order = await self._client.create_order(
                to_ccxt(cmd.symbol), order_type, cmd.side, cmd.qty, cmd.price, params
            )
        except ccxt.BaseError as e:
            where = f"{self._venue} {cmd.symbol}"
            err = self.from_ccxt(e, where=where, client_order_id=cmd.client_order_id)
            log.warning("%s: order %s rejected: %s", where, cmd.client_order_id, err)
            update = OrderUpdate(
                cmd.trader, self._venue, cmd.symbol, self._client.milliseconds(),
                cmd.client_order_id, "rejected", cmd.side, cmd.order_type, cmd.qty,
                price=cmd.price, trigger_price=cmd.trigger_price, reduce_only=cmd.reduce_only,
                reason=self.rejection_reason(err),
            )  # fmt: skip
            self._publish_update(update)
            return update
        update = self.accepted_update(cmd, order)
        if not (self.stream_first_wins and cmd.client_order_id in self._updated):
            self._publish_update(update)
        return update

    async def cancel(self, cmd: CancelOrder) -> None:
        """Cancel by client order id; the `canceled` update arrives on the order stream."""
        self._owner[cmd.client_order_id] = cmd.trader
        try:
            order = await self._client.cancel_order(
                None, to_ccxt(cmd.symbol), self.cancel_params(cmd.client_order_id)
            )
        except ccxt.BaseError as e:
            err = self.from_ccxt(e, where=f"{self._venue} {cmd.symbol}",
                                 client_order_id=cmd.client_order_id)  # fmt: skip
            log.warning("cancel of %s failed: %s", cmd.client_order_id, err)
            return
        self.on_cancelled(cmd, order)

    # -- private streams ----------------------------------------------------------------------
    async def _watch_orders(self) -> None:
        while True:
            try:
                orders = await self._client.watch_orders()
            except ccxt.BaseError as e:
                log.warning("%s: order stream lost (%s); re-watching", self._venue, e)
                await asyncio.sleep(self._delay)
                continue
            for order in orders:
                coid = str(order.get("clientOrderId") or "")
                trader = self._trader(coid)
                if trader is not None:
                    symbol = to_venue(order["symbol"])
                    update = order_update_from_order(order, self._venue, symbol, trader)
                    self._publish_update(update)

    async def _watch_trades(self) -> None:
        while True:
            try:
                trades = await self._client.watch_my_trades()
            except ccxt.BaseError as e:
                log.warning("%s: %s stream lost (%s); re-watching", self._venue,
                            self.trade_stream, e)  # fmt: skip
                await asyncio.sleep(self._delay)
                continue
            for trade in trades:
                coid = self.trade_client_order_id(trade)
                trader = self._trader(coid)
                fill_id = str(trade.get("id") or "")
                if trader is None or fill_id in self._seen_fills:
                    continue
                self._seen_fills.add(fill_id)
                fill = self.fill_from_trade(trade, to_venue(trade["symbol"]), trader, coid)
                self._bus.publish(topics.execution(trader), fill)

    def _trader(self, client_order_id: str) -> str | None:
        return self._owner.get(client_order_id) or trader_from_client_order_id(client_order_id)

    def _publish_update(self, update: OrderUpdate) -> None:
        key = (update.client_order_id, update.status, update.filled_qty)
        if key in self._seen_updates:
            return
        self._seen_updates.add(key)
        self._updated.add(update.client_order_id)
        self._bus.publish(topics.execution(update.trader), update)
