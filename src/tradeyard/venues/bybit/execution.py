"""Orders from the bus to Bybit, and their lifecycle back: `cmd.<venue>` → REST; the private
`order` / `execution` topics → `exec.<trader>`.

Each SubmitOrder / CancelOrder becomes its own asyncio task, so a burst of commands (ten symbols
rebalancing on one bar) goes out concurrently instead of one round trip after another. A refused
order is published as `OrderUpdate(status="rejected")` whose `reason` names the cause
(`errors.rejection_reason`, e.g. "insufficient_margin: bybit 110007 ab not enough for new order").

Which trader owns an order comes from its client order id (`orderLinkId`, ≤ 36 characters),
`<trader>-<seq>` (see `parse.trader_from_client_order_id`), so updates of orders placed before a
restart still reach the right `exec.<trader>`. Bybit answers a create with the ids only: the
first `new` update is built from the command unless the `order` topic was faster. Order updates
are deduplicated by (client_order_id, status, filled qty), fills by execution id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import ccxt
import ccxt.pro as ccxt_pro

from tradeyard.bus import Bus, Subscription
from tradeyard.events import CancelOrder, Event, OrderUpdate, SubmitOrder, topics
from tradeyard.venues.bybit.config import BybitConfig
from tradeyard.venues.bybit.errors import from_ccxt, rejection_reason
from tradeyard.venues.bybit.parse import (
    accepted_update,
    fill_from_trade,
    order_update_from_order,
    trade_client_order_id,
    trader_from_client_order_id,
)
from tradeyard.venues.bybit.symbols import to_ccxt, to_venue
from tradeyard.venues.bybit.urls import VenueUrls, apply_to_ccxt, ccxt_options
from tradeyard.venues.common.credentials import Credentials

__all__ = ["BybitExecution", "make_trading_client"]

log = logging.getLogger(__name__)
_TIF = {"GTC": "GTC", "IOC": "IOC", "GTX": "PostOnly"}


def make_trading_client(config: BybitConfig, urls: VenueUrls, credentials: Credentials) -> Any:
    """A keyed ccxt pro client pointed at `urls` (the secret goes nowhere else)."""
    client = ccxt_pro.bybit(
        {
            "apiKey": credentials.api_key,
            "secret": credentials.api_secret,
            "enableRateLimit": config.rate_limit,
            "options": ccxt_options(),
        }
    )
    apply_to_ccxt(client, urls)
    return client


def order_params(cmd: SubmitOrder) -> tuple[str, dict[str, Any]]:
    """ccxt order type and params for a command (stops are market orders with a trigger)."""
    params: dict[str, Any] = {"clientOrderId": cmd.client_order_id}
    if cmd.reduce_only:
        params["reduceOnly"] = True
    if cmd.order_type == "limit":
        params["timeInForce"] = _TIF[cmd.time_in_force]
    if cmd.trigger_price is not None:
        params["triggerPrice"] = cmd.trigger_price
        rises = (cmd.order_type == "stop") == (cmd.side == "buy")
        params["triggerDirection"] = 1 if rises else 2
    return ("limit" if cmd.order_type == "limit" else "market"), params


class BybitExecution:
    """Sends the venue's commands and publishes order updates and fills. `start()`, `close()`."""

    def __init__(self, bus: Bus, client: Any, config: BybitConfig) -> None:
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
        return f"BybitExecution(venue={self._venue!r}, inflight={len(self._inflight)})"

    async def start(self) -> None:
        await self._client.load_markets()
        loop = asyncio.get_running_loop()
        self._tasks += [
            loop.create_task(self._watch_orders(), name="bybit-watch-orders"),
            loop.create_task(self._watch_trades(), name="bybit-watch-trades"),
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
        order_type, params = order_params(cmd)
        try:
            order = await self._client.create_order(
                to_ccxt(cmd.symbol), order_type, cmd.side, cmd.qty, cmd.price, params
            )
        except ccxt.BaseError as e:
            where = f"{self._venue} {cmd.symbol}"
            err = from_ccxt(e, where=where, client_order_id=cmd.client_order_id)
            log.warning("%s: order %s rejected: %s", where, cmd.client_order_id, err)
            update = OrderUpdate(
                cmd.trader, self._venue, cmd.symbol, self._client.milliseconds(),
                cmd.client_order_id, "rejected", cmd.side, cmd.order_type, cmd.qty,
                price=cmd.price, trigger_price=cmd.trigger_price, reduce_only=cmd.reduce_only,
                reason=rejection_reason(err),
            )  # fmt: skip
            self._publish_update(update)
            return update
        update = accepted_update(
            cmd, self._venue, str(order.get("id") or ""), self._client.milliseconds()
        )
        if cmd.client_order_id not in self._updated:  # else the order topic was first
            self._publish_update(update)
        return update

    async def cancel(self, cmd: CancelOrder) -> None:
        """Cancel by client order id; the `canceled` update arrives on the order topic."""
        self._owner[cmd.client_order_id] = cmd.trader
        try:
            await self._client.cancel_order(
                None, to_ccxt(cmd.symbol), {"orderLinkId": cmd.client_order_id}
            )
        except ccxt.BaseError as e:
            err = from_ccxt(e, where=f"{self._venue} {cmd.symbol}",
                            client_order_id=cmd.client_order_id)  # fmt: skip
            log.warning("cancel of %s failed: %s", cmd.client_order_id, err)

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
                log.warning("%s: execution stream lost (%s); re-watching", self._venue, e)
                await asyncio.sleep(self._delay)
                continue
            for trade in trades:
                coid = trade_client_order_id(trade)
                trader = self._trader(coid)
                fill_id = str(trade.get("id") or "")
                if trader is None or fill_id in self._seen_fills:
                    continue
                self._seen_fills.add(fill_id)
                fill = fill_from_trade(trade, self._venue, to_venue(trade["symbol"]), trader, coid)
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
