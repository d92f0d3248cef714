"""Orders from the bus to Bybit, and their lifecycle back: `cmd.<venue>` → REST; the private
`order` / `execution` topics → `exec.<trader>`.

The machinery is `venues.common.execution.CcxtExecution`; this module holds Bybit's hooks.
Each SubmitOrder / CancelOrder becomes its own asyncio task, so a burst of commands (ten symbols
rebalancing on one bar) goes out concurrently instead of one round trip after another. A refused
order is published as `OrderUpdate(status="rejected")` whose `reason` names the cause
(`errors.rejection_reason`, e.g. "insufficient_margin: bybit 110007 ab not enough for new order").

Which trader owns an order comes from its client order id (`orderLinkId`, ≤ 36 characters),
`<trader>-<seq>` (see `parse.trader_from_client_order_id`), so updates of orders placed before a
restart still reach the right `exec.<trader>`. Bybit answers a create with the ids only: the
first `new` update is built from the command unless the `order` topic was faster. Order updates
are deduplicated by (client_order_id, status, filled qty), fills by execution id. After a
restart an order is found by `orderLinkId` (`find_order`, for reconcile).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import ccxt
import ccxt.pro as ccxt_pro

from tradeyard.errors import VenueError
from tradeyard.events import Fill, OrderUpdate, SubmitOrder
from tradeyard.venues.bybit.config import BybitConfig
from tradeyard.venues.bybit.errors import from_ccxt, rejection_reason
from tradeyard.venues.bybit.parse import accepted_update, fill_from_trade, trade_client_order_id
from tradeyard.venues.bybit.urls import VenueUrls, apply_to_ccxt, ccxt_options
from tradeyard.venues.common.credentials import Credentials
from tradeyard.venues.common.execution import CcxtExecution
from tradeyard.venues.common.symbols import to_ccxt

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


def _reasons(reasons: list[Mapping[str, Any]]) -> str:
    return "; ".join(f"{r.get('reasonCode', '')} {r.get('reasonMsg', '')}".strip() for r in reasons)


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


class BybitExecution(CcxtExecution):
    """Sends the venue's commands and publishes order updates and fills. `start()`, `close()`."""

    trade_stream = "execution"
    stream_first_wins = True  # Bybit's create answer carries the ids only

    def order_params(self, cmd: SubmitOrder) -> tuple[str, dict[str, Any]]:
        return order_params(cmd)

    async def apply_margin_mode(self, mode: str) -> None:
        """POST /v5/account/set-margin-mode. Bybit accounts are unified trading accounts now
        (classic accounts are gone), and there the margin mode is the account's, for every
        symbol: the per-symbol switch (/v5/position/switch-isolated) is for classic accounts.
        A refusal (a position or open orders in the other mode) stops the start with Bybit's
        reasons."""
        wanted = "ISOLATED_MARGIN" if mode == "isolated" else "REGULAR_MARGIN"
        try:
            answer = await self._client.private_post_v5_account_set_margin_mode(
                {"setMarginMode": wanted}
            )
            reasons = (answer.get("result") or {}).get("reasons") or []
        except ccxt.BaseError as e:
            err = self.from_ccxt(e, where=self._venue, client_order_id="")
            raise VenueError(self._margin_mode_refused(mode, str(err))) from e
        if reasons:
            raise VenueError(self._margin_mode_refused(mode, _reasons(reasons)))
        log.info("%s: account margin mode %s", self._venue, wanted)

    def _margin_mode_refused(self, mode: str, why: str) -> str:
        return (
            f"{self._venue}: cannot set the account to {mode} margin: {why}; close the "
            f"positions and orders in the other mode, or set margin_mode to the account's mode"
        )

    def cancel_params(self, client_order_id: str) -> dict[str, Any]:
        return {"orderLinkId": client_order_id}

    async def find_order(self, symbol: str, client_order_id: str) -> Mapping[str, Any] | None:
        """GET /v5/order/realtime by `orderLinkId`: queried by id it also answers recently
        finished orders (ccxt's fetch_order needs the exchange's order id, which an intent
        written before a crash does not have)."""
        orders = await self._client.fetch_open_orders(
            to_ccxt(symbol), None, None, {"orderLinkId": client_order_id}
        )
        found = [o for o in orders if o.get("clientOrderId") == client_order_id]
        return found[-1] if found else None

    def accepted_update(self, cmd: SubmitOrder, order: Mapping[str, Any]) -> OrderUpdate:
        venue_order_id = str(order.get("id") or "")
        return accepted_update(cmd, self._venue, venue_order_id, self._client.milliseconds())

    def trade_client_order_id(self, trade: Mapping[str, Any]) -> str:
        return trade_client_order_id(trade)

    def fill_from_trade(
        self, trade: Mapping[str, Any], symbol: str, trader: str, client_order_id: str
    ) -> Fill:
        return fill_from_trade(trade, self._venue, symbol, trader, client_order_id)

    def from_ccxt(self, exc: BaseException, *, where: str, client_order_id: str) -> VenueError:
        return from_ccxt(exc, where=where, client_order_id=client_order_id)

    def rejection_reason(self, err: VenueError) -> str:
        return rejection_reason(err)
