"""Orders from the bus to Binance, and their lifecycle back: `cmd.<venue>` → REST; user stream
→ `exec.<trader>`.

The machinery is `venues.common.execution.CcxtExecution`; this module holds Binance's hooks.
Each SubmitOrder / CancelOrder becomes its own asyncio task, so a burst of commands (ten symbols
rebalancing on one bar) goes out concurrently instead of one round trip after another. A refused
order is published as `OrderUpdate(status="rejected")` whose `reason` names the cause
(`errors.rejection_reason`, e.g. "insufficient_margin: binance -2019 Margin is insufficient.").

Which trader owns an order comes from its client order id, `<trader>-<seq>` (see
`parse.trader_from_client_order_id`), so updates of orders placed before a restart still reach
the right `exec.<trader>`. Binance allows 36 characters of `[.A-Z:/a-z0-9_-]` in that id.
Order updates are deduplicated by (client_order_id, status, filled qty), fills by trade id: the
REST answer and the user stream both report a new order. ccxt keeps the listen key alive.
After a restart an order is found by `origClientOrderId` (`find_order`, for reconcile).

Conditional orders (SubmitOrder "stop" / "take_profit" with a trigger price) live in Binance's
Algo Order API (`/fapi/v1/algoOrder`; `/fapi/v1/order` answers -4120 for them), where ccxt 4.5
sends them with `clientAlgoId` = our client order id. The adapter remembers which client order
ids are conditional (from the command, from the store's order type after a restart, from what
`find_order` / `fetch_open_orders` found) and cancels and looks those up with
`{"clientAlgoId": id, "trigger": True}`; `find_order` also falls back to the algo API for an id
the plain API does not know, and resolves a triggered algo order to its engine order (state,
fills). The account reads (`fetch_open_orders`) list open algo orders too. On the stream an algo
order is `new` until its engine order reports the fill (`parse.order_update_from_order`).

The triggered algo order's engine order may carry a client id of its own (Binance does not say
it keeps the algo's). Its fills and updates are attributed by its order id, which ALGO_UPDATE
TRIGGERED / FINISHED name (`ai`): a mapped order id wins over the item's own `c`. A fill or
update that is neither ours by `c` nor mapped yet, on a symbol where one of our algo orders may
trigger, is held until the ALGO_UPDATE comes (ccxt's trade and order watchers run apart, so it
may come second), and after `algo_fill_hold_s` the algo API is asked which of our orders
became it; the full rule is in `engine_orders.py`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any

import ccxt
import ccxt.pro as ccxt_pro

from tradeyard.bus import Bus
from tradeyard.errors import ConfigError, VenueError
from tradeyard.events import CancelOrder, Fill, OrderUpdate, SubmitOrder
from tradeyard.venues.binance.config import BinanceConfig
from tradeyard.venues.binance.engine_orders import EngineOrders, Held, HeldKind, Owner
from tradeyard.venues.binance.errors import from_ccxt, rejection_reason
from tradeyard.venues.binance.parse import (
    algo_state,
    fill_from_trade,
    is_algo_order,
    order_update_from_order,
)
from tradeyard.venues.binance.urls import VenueUrls, apply_to_ccxt
from tradeyard.venues.common.credentials import Credentials
from tradeyard.venues.common.execution import CcxtExecution
from tradeyard.venues.common.symbols import to_ccxt, to_venue

if TYPE_CHECKING:
    from tradeyard.store import OrderStore

__all__ = ["BinanceExecution", "make_trading_client"]

log = logging.getLogger(__name__)

_CCXT_TYPES = {"market": "market", "limit": "limit", "stop": "STOP_MARKET",
               "take_profit": "TAKE_PROFIT_MARKET"}  # fmt: skip
_CONDITIONAL = frozenset(("stop", "take_profit"))
"""Our order types that Binance keeps in its Algo Order API."""
_TRIGGERED = frozenset(("TRIGGERED", "FINISHED"))
"""Algo statuses after which the state (and the fills) are the engine order's."""
_ALGO_OPEN = frozenset(("NEW", "TRIGGERING"))
_ENDED = frozenset(("filled", "canceled", "expired", "rejected"))
"""Our statuses after which an algo order no longer triggers."""
_CLAIM_ATTEMPTS = 3
"""REST tries (one `algo_fill_hold_s` apart) to find the algo order behind a held engine order."""


def make_trading_client(config: BinanceConfig, urls: VenueUrls, credentials: Credentials) -> Any:
    """A keyed ccxt pro client pointed at `urls` (the secret goes nowhere else)."""
    client = ccxt_pro.binanceusdm(
        {
            "apiKey": credentials.api_key,
            "secret": credentials.api_secret,
            "enableRateLimit": config.rate_limit,
            "options": {"fetchCurrencies": False},
        }
    )
    apply_to_ccxt(client, urls)
    return client


class BinanceExecution(CcxtExecution):
    """Sends the venue's commands and publishes order updates and fills. `start()`, `close()`."""

    def __init__(
        self, bus: Bus, client: Any, config: BinanceConfig, store: OrderStore | None = None
    ) -> None:
        super().__init__(bus, client, config, store)
        self._conditional: dict[str, SubmitOrder | None] = {}
        """Client order ids of algo (conditional) orders → their command, when this run sent it."""
        self._engine = EngineOrders()
        """Engine order id of a triggered algo order → the algo's; stream items held for it."""
        self._hold_s = config.algo_fill_hold_s
        self._claims: set[asyncio.Task[None]] = set()

    def is_conditional(self, client_order_id: str) -> bool:
        """Whether the order lives in the Algo Order API: sent as one by this run, seen as one,
        or stored with a conditional order type."""
        if client_order_id in self._conditional:
            return True
        if self._store is None:
            return False
        try:
            record = self._store.order(client_order_id)
        except Exception:  # a failing store: the plain API is tried first, then the algo one
            return False
        return record is not None and record.order_type in _CONDITIONAL

    def order_params(self, cmd: SubmitOrder) -> tuple[str, dict[str, Any]]:
        if cmd.order_type in _CONDITIONAL:
            self._conditional[cmd.client_order_id] = cmd
            self._engine.arm(cmd.client_order_id, cmd.symbol)
        params: dict[str, Any] = {"clientOrderId": cmd.client_order_id}
        if cmd.reduce_only:
            params["reduceOnly"] = True
        if cmd.order_type == "limit":
            params["timeInForce"] = cmd.time_in_force
        if cmd.trigger_price is not None:
            params["triggerPrice"] = cmd.trigger_price
        return _CCXT_TYPES[cmd.order_type], params

    def cancel_params(self, client_order_id: str) -> dict[str, Any]:
        """DELETE /fapi/v1/algoOrder by `clientAlgoId` for a conditional order, else DELETE
        /fapi/v1/order by `origClientOrderId`."""
        if self.is_conditional(client_order_id):
            return {"clientAlgoId": client_order_id, "trigger": True}
        return {"origClientOrderId": client_order_id}

    async def find_order(self, symbol: str, client_order_id: str) -> Mapping[str, Any] | None:
        """GET /fapi/v1/order by `origClientOrderId`, and GET /fapi/v1/algoOrder by
        `clientAlgoId` (first for a known conditional order, else when the plain API answers
        -2013). A triggered algo order is answered with its engine order (its fills and final
        state are that order's); None when neither API knows the id."""
        plain = {"origClientOrderId": client_order_id}
        if self.is_conditional(client_order_id):
            return await self._find_algo(symbol, client_order_id) or await self._fetch(
                symbol, plain
            )
        return await self._fetch(symbol, plain) or await self._find_algo(symbol, client_order_id)

    async def _fetch(
        self, symbol: str, params: dict[str, Any], order_id: str | None = None
    ) -> Mapping[str, Any] | None:
        """fetch_order, None on -2013 "Order does not exist"."""
        try:
            return await self._client.fetch_order(order_id, to_ccxt(symbol), params)
        except ccxt.OrderNotFound:
            return None

    async def _find_algo(self, symbol: str, client_order_id: str) -> Mapping[str, Any] | None:
        algo = await self._fetch(symbol, {"clientAlgoId": client_order_id, "trigger": True})
        if algo is None:
            return None
        self._conditional.setdefault(client_order_id, None)
        info = algo.get("info") or {}
        actual = str(info.get("actualOrderId") or "")
        status = str(info.get("algoStatus") or "").upper()
        if status in _ALGO_OPEN:
            self._engine.arm(client_order_id, symbol)
        if status not in _TRIGGERED or not actual:
            return algo
        self._learn(actual, client_order_id, str(info.get("orderType") or ""))
        engine = await self._fetch(symbol, {}, actual)
        return engine if engine is not None else algo

    def on_cancelled(self, cmd: CancelOrder, order: Any) -> None:
        """Binance answers a cancel with the order: publish it (the stream's copy is deduped).
        The algo API answers only `{"algoId", "clientAlgoId", "code": "200", "msg": "success"}`:
        that is a `canceled`, built from the command or the store when one of them knows the
        order (else the stream's ALGO_UPDATE CANCELED reports it)."""
        if is_algo_order(order) and algo_state(order) is None:
            update = self._canceled_conditional(cmd, order)
            if update is not None:
                self.report_update(update)
            return
        self.report_update(order_update_from_order(order, self._venue, cmd.symbol, cmd.trader))

    def _canceled_conditional(
        self, cmd: CancelOrder, order: Mapping[str, Any]
    ) -> OrderUpdate | None:
        coid, now = cmd.client_order_id, self.now_ms()
        venue_order_id = str(order.get("id") or "")
        sent = self._conditional.get(coid)
        if sent is not None:
            return OrderUpdate(
                sent.trader, self._venue, sent.symbol, now, coid, "canceled", sent.side,
                sent.order_type, sent.qty, price=sent.price, trigger_price=sent.trigger_price,
                reduce_only=sent.reduce_only, venue_order_id=venue_order_id,
            )  # fmt: skip
        record = None
        if self._store is not None:
            try:
                record = self._store.order(coid)
            except Exception:
                log.exception("%s: cannot read %s from the order store", self._venue, coid)
        if record is None:
            return None
        return OrderUpdate(
            record.trader, self._venue, record.symbol, now, coid, "canceled",
            record.side, record.order_type, record.qty,  # type: ignore[arg-type]
            filled_qty=record.filled_qty, avg_price=record.avg_price, price=record.price,
            trigger_price=record.trigger_price, reduce_only=record.reduce_only,
            venue_order_id=venue_order_id or record.venue_order_id,
        )  # fmt: skip

    # -- the user stream: engine orders of triggered algo orders ------------------------------
    def trade_client_order_id(self, trade: Mapping[str, Any]) -> str:
        """The mapped algo order's id for an engine order's trade, else the trade's own `c`;
        "" for a trade held until its order is named (it is published then)."""
        engine_id = str(trade.get("order") or "")
        owner = self._engine.owner(engine_id)
        if owner is not None:
            return owner.client_order_id
        coid = str((trade.get("info") or {}).get("c") or "")
        if self._trader(coid) is None and self._hold(engine_id, "trade", trade):
            return ""
        return coid

    def stream_order(self, order: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """Learn engine order ids from ALGO_UPDATE; re-key a mapped engine order's update to its
        algo order; hold an update of an order that may be one not named yet (None)."""
        info = order.get("info") or {}
        if "aid" in info:
            self._on_algo_update(order, info)
            return order
        owner = self._engine.owner(str(order.get("id") or ""))
        if owner is not None:
            return _as_algo_order(order, owner)
        coid = str(order.get("clientOrderId") or "")
        if self._trader(coid) is None and self._hold(str(order.get("id") or ""), "order", order):
            return None
        return order

    def report_update(self, update: OrderUpdate) -> bool:
        if update.status in _ENDED:  # an ended algo order no longer explains unknown fills
            self._engine.disarm(update.client_order_id)
        return super().report_update(update)

    async def close(self) -> None:
        for task in self._claims:
            task.cancel()
        await asyncio.gather(*self._claims, return_exceptions=True)
        await super().close()

    def _on_algo_update(self, order: Mapping[str, Any], info: Mapping[str, Any]) -> None:
        coid = str(order.get("clientOrderId") or "")
        if self._trader(coid) is None:
            return  # an algo order placed outside this node
        actual = str(info.get("ai") or "")
        if actual:
            self._learn(actual, coid, str(info.get("o") or ""))
        elif str(info.get("X") or "").upper() not in _ALGO_OPEN:
            self._engine.disarm(coid)

    def _learn(self, engine_id: str, client_order_id: str, algo_type: str) -> Owner:
        """Map an engine order to our algo order and publish what was held for it, in order."""
        held = self._engine.learn(engine_id, client_order_id, algo_type)
        owner = Owner(client_order_id, algo_type)
        trader = self._trader(client_order_id)
        for h in held if trader is not None else ():
            if h.kind == "trade":
                self.report_fill(self.fill_from_trade(h.item, h.symbol, trader, client_order_id))
            else:
                update = order_update_from_order(
                    _as_algo_order(h.item, owner), self._venue, h.symbol, trader
                )
                self.report_update(update)
        return owner

    def _hold(self, engine_id: str, kind: HeldKind, item: Mapping[str, Any]) -> bool:
        """Hold an item of an unknown order while one of our algo orders on its symbol may have
        become that order; the first one of an order starts the REST fallback's timer."""
        symbol = _venue_symbol(item)
        if not engine_id or not symbol or not self._engine.may_hold(symbol):
            return False
        first = not self._engine.is_held(engine_id)
        if not self._engine.hold(engine_id, Held(kind, item, symbol)):
            log.error("%s %s: too many updates of unknown orders held; the %s of order %s is "
                      "dropped", self._venue, symbol, kind, engine_id)  # fmt: skip
            return False
        if first:
            self._spawn(self._claim_later(engine_id, symbol))
        return True

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._claims.add(task)
        task.add_done_callback(self._claims.discard)

    async def _claim_later(self, engine_id: str, symbol: str) -> None:
        """After `algo_fill_hold_s` without an ALGO_UPDATE naming `engine_id`: ask the algo API
        (our armed algo orders on `symbol`) which one became it; drop the held items if none."""
        await asyncio.sleep(self._hold_s)
        if not self._engine.is_held(engine_id):
            return
        log.warning("%s %s: order %s is not ours by client id and no ALGO_UPDATE named it within "
                    "%.1fs; asking the algo API whether a stop or take-profit of ours became it",
                    self._venue, symbol, engine_id, self._hold_s)  # fmt: skip
        answered = False
        for attempt in range(_CLAIM_ATTEMPTS):
            try:
                await self._claim(engine_id, symbol)
                answered = True
                break
            except ccxt.BaseError as e:
                log.warning("%s %s: cannot ask the algo API about order %s (%s)", self._venue,
                            symbol, engine_id, e)  # fmt: skip
                if attempt < _CLAIM_ATTEMPTS - 1:
                    await asyncio.sleep(self._hold_s)
        dropped = self._engine.take(engine_id)
        if dropped and answered:
            log.info("%s %s: no algo order of ours became order %s; its %d held update(s) are "
                     "not ours and are dropped", self._venue, symbol, engine_id,
                     len(dropped))  # fmt: skip
        elif dropped:
            log.error("%s %s: the algo API did not answer; %d held update(s) of order %s are "
                      "dropped and may be a fill of one of our stops or take-profits (%s): "
                      "check them on the exchange", self._venue, symbol, len(dropped), engine_id,
                      ", ".join(self._engine.armed_on(symbol)))  # fmt: skip

    async def _claim(self, engine_id: str, symbol: str) -> None:
        """GET /fapi/v1/algoOrder of each armed algo order on `symbol`: a triggered one names its
        engine order (`actualOrderId`), which is learned (and its held items published); one no
        longer open is disarmed."""
        for coid in self._engine.armed_on(symbol):
            algo = await self._fetch(symbol, {"clientAlgoId": coid, "trigger": True})
            info = (algo or {}).get("info") or {}
            actual = str(info.get("actualOrderId") or "")
            if actual:
                self._learn(actual, coid, str(info.get("orderType") or ""))
            elif algo is None or str(info.get("algoStatus") or "").upper() not in _ALGO_OPEN:
                self._engine.disarm(coid)
            if actual == engine_id:
                return

    # -- account reads ------------------------------------------------------------------------
    async def fetch_open_orders(self, symbol: str) -> list[Mapping[str, Any]]:
        """Open orders (GET /fapi/v1/openOrders) and open algo orders (GET
        /fapi/v1/openAlgoOrders): resting stops and take-profits are open orders too."""
        market = to_ccxt(symbol)
        plain = await self._client.fetch_open_orders(market)
        algos = await self._client.fetch_open_orders(market, params={"trigger": True})
        for order in algos:
            coid = str(order.get("clientOrderId") or "")
            if coid:
                self._conditional.setdefault(coid, None)
                self._engine.arm(coid, symbol)
        return [*plain, *algos]

    def fill_from_trade(
        self, trade: Mapping[str, Any], symbol: str, trader: str, client_order_id: str
    ) -> Fill:
        return fill_from_trade(trade, self._venue, symbol, trader, client_order_id)

    def from_ccxt(self, exc: BaseException, *, where: str, client_order_id: str) -> VenueError:
        return from_ccxt(exc, where=where, client_order_id=client_order_id)

    def rejection_reason(self, err: VenueError) -> str:
        return rejection_reason(err)


def _as_algo_order(order: Mapping[str, Any], owner: Owner) -> dict[str, Any]:
    """An engine order as an update of the algo order it came from: the algo's client order id
    and original type (the engine order's own type says MARKET)."""
    info = dict(order.get("info") or {})
    if owner.algo_type:
        info["ot"] = owner.algo_type
    return {**order, "clientOrderId": owner.client_order_id, "info": info}


def _venue_symbol(item: Mapping[str, Any]) -> str:
    """BTCUSDT of a ccxt trade or order; "" when it names no linear perpetual."""
    try:
        return to_venue(str(item.get("symbol") or ""))
    except ConfigError:
        return ""
