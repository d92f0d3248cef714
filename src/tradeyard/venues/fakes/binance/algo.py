"""Conditional orders through Binance's Algo Order API (`/fapi/v1/algoOrder`), on the fake.

Binance moved USDⓈ-M conditional orders (STOP_MARKET, TAKE_PROFIT_MARKET, STOP, TAKE_PROFIT,
TRAILING_STOP_MARKET) to the "Algo Service": ccxt 4.5.x sends them to `POST /fapi/v1/algoOrder`
with `algoType=CONDITIONAL`, `triggerPrice` and `clientAlgoId` (`binance-usdm.md` §2, §3,
§5.5). An algo order has its own id (`algoId`) and status: NEW while it waits for its trigger;
when it triggers, an ordinary order (`actualOrderId`, a new orderId, with the algo's client id)
is placed in the matching engine (TRIGGERED), and once that one is done the algo order is
FINISHED; CANCELED by the user, EXPIRED by the system, REJECTED when the engine refuses it.

On the fake the simulated venue keeps the trigger: the algo order goes to it as a stop /
take-profit order, which triggers and fills at once (market). Its reports become, in order,
ALGO_UPDATE NEW on placement; on the fill ALGO_UPDATE TRIGGERED, ORDER_TRADE_UPDATE NEW and
TRADE of the actual MARKET order (so fills reach `watch_my_trades` under the client id the
caller chose), then ALGO_UPDATE FINISHED; CANCELED / EXPIRED otherwise. Supported: the two
market types (STOP_MARKET, TAKE_PROFIT_MARKET), the ones the sim triggers; the limit and
trailing ones answer -1116 here (an assumption of the fake, documented, not Binance's answer).
That the triggered order carries the algo's client id is the fake's reading of the docs;
Binance does not document it. `FakeBinanceConfig.algo_engine_client_id = "generated"` gives the
engine order an id of its own instead (`generated_client_id`), and `algo_report_order =
"fills_first"` pushes the engine order's updates before ALGO_UPDATE TRIGGERED: the two cases a
client must survive if Binance does either. TRIGGERED and FINISHED always carry the engine
order id as `ai`.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tradeyard.venues.fakes.binance.errors import BinanceError
from tradeyard.venues.fakes.binance.instruments import SymbolInfo
from tradeyard.venues.fakes.binance.orders import BinanceOrder
from tradeyard.venues.fakes.binance.params import OrderRequest, parse_new_order
from tradeyard.venues.fakes.binance.payloads import fmt

__all__ = [
    "ALGO_OPEN",
    "ALGO_TYPES",
    "AlgoOrder",
    "algo_cancel_json",
    "algo_json",
    "algo_update",
    "generated_client_id",
    "parse_algo_order",
]

ALGO_TYPES = ("STOP_MARKET", "TAKE_PROFIT_MARKET")
"""Conditional types the fake's algo service supports (the sim triggers these)."""
CONDITIONAL_TYPES = (*ALGO_TYPES, "STOP", "TAKE_PROFIT", "TRAILING_STOP_MARKET")
"""Types `/fapi/v1/order` sends to the Algo Order API (-4120) when the fake is strict."""
ALGO_OPEN = frozenset(("NEW", "TRIGGERING"))
_ID_CHARS = string.ascii_letters + string.digits


def generated_client_id() -> str:
    """A client order id as Binance generates one for an order sent without it (22 letters
    and digits): never of the `<trader>-<seq>` form, so no client mistakes it for its own."""
    return "".join(secrets.choice(_ID_CHARS) for _ in range(22))


@dataclass(slots=True)
class AlgoOrder:
    """One conditional order as GET /fapi/v1/algoOrder shows it; `order` is the engine order
    it becomes when triggered (known by the sim under its `sim_id` from the start)."""

    algo_id: int
    client_algo_id: str
    order: BinanceOrder
    trigger_price: float
    create_time: int
    update_time: int
    status: str = "NEW"
    trigger_time: int = 0
    triggered: bool = False
    reason: str = ""

    @property
    def symbol(self) -> str:
        return self.order.symbol

    @property
    def is_open(self) -> bool:
        return self.status in ALGO_OPEN


def parse_algo_order(
    params: Mapping[str, str], symbols: Mapping[str, SymbolInfo], mark: float | None
) -> OrderRequest:
    """Check POST /fapi/v1/algoOrder parameters (as `/fapi/v1/order`'s, with the algo names:
    `algoType`, `triggerPrice`, `clientAlgoId`)."""
    algo_type = params.get("algoType")
    if not algo_type:
        raise BinanceError(-1102, "algoType")
    if algo_type != "CONDITIONAL":
        raise BinanceError(-1116)
    order_type = params.get("type", "")
    if order_type not in ALGO_TYPES:
        raise BinanceError(-1116)
    if not params.get("triggerPrice"):
        raise BinanceError(-1102, "triggerPrice")
    plain = {k: v for k, v in params.items() if k not in ("algoType", "clientAlgoId")}
    plain["stopPrice"] = params["triggerPrice"]
    if params.get("clientAlgoId"):
        plain["newClientOrderId"] = params["clientAlgoId"]
    return parse_new_order(plain, symbols, mark)


def algo_json(algo: AlgoOrder, info: SymbolInfo) -> dict[str, Any]:
    """The algo order object of New / Query Algo Order and Current Algo Open Orders."""
    o, p, q = algo.order, info.price_dp, info.qty_dp
    return {
        "algoId": algo.algo_id,
        "clientAlgoId": algo.client_algo_id,
        "algoType": "CONDITIONAL",
        "orderType": o.type,
        "symbol": o.symbol,
        "side": o.side,
        "positionSide": o.position_side,
        "timeInForce": o.time_in_force,
        "quantity": fmt(o.orig_qty, q),
        "algoStatus": algo.status,
        "actualOrderId": str(o.order_id) if algo.triggered else "",
        "actualPrice": fmt(o.avg_price, max(p, 5)) if algo.triggered else "0.00000",
        "triggerPrice": fmt(algo.trigger_price, p),
        "price": fmt(o.price, p),
        "icebergQuantity": None,
        "tpTriggerPrice": "0.0000",
        "tpPrice": "0.0000",
        "slTriggerPrice": "0.0000",
        "slPrice": "0.0000",
        "tpOrderType": "",
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "workingType": o.working_type,
        "priceMatch": "NONE",
        "closePosition": False,
        "priceProtect": o.price_protect,
        "reduceOnly": o.reduce_only,
        "createTime": algo.create_time,
        "updateTime": algo.update_time,
        "triggerTime": algo.trigger_time,
        "goodTillDate": 0,
    }


def algo_cancel_json(algo: AlgoOrder) -> dict[str, Any]:
    """DELETE /fapi/v1/algoOrder's answer."""
    return {"algoId": algo.algo_id, "clientAlgoId": algo.client_algo_id, "code": "200",
            "msg": "success"}  # fmt: skip


def algo_update(algo: AlgoOrder, info: SymbolInfo, event_time: int) -> dict[str, Any]:
    """ALGO_UPDATE on the user stream (`binance-usdm.md` §5.5)."""
    o, p, q = algo.order, info.price_dp, info.qty_dp
    done = algo.triggered
    return {
        "e": "ALGO_UPDATE",
        "T": algo.update_time,
        "E": event_time,
        "o": {
            "caid": algo.client_algo_id,
            "aid": algo.algo_id,
            "at": "CONDITIONAL",
            "o": o.type,
            "s": o.symbol,
            "S": o.side,
            "ps": o.position_side,
            "f": o.time_in_force,
            "q": fmt(o.orig_qty, q),
            "X": algo.status,
            "ai": str(o.order_id) if done else "",
            "ap": fmt(o.avg_price, max(p, 5)) if done else "0.00000",
            "aq": fmt(o.executed_qty, q) if done else "0.00000",
            "act": "MARKET" if done else "0",
            "tp": fmt(algo.trigger_price, p),
            "p": fmt(o.price, p),
            "V": "EXPIRE_MAKER",
            "wt": o.working_type,
            "pm": "NONE",
            "cp": False,
            "pP": o.price_protect,
            "R": o.reduce_only,
            "tt": algo.trigger_time,
            "gtd": 0,
            "rm": algo.reason,
        },
    }
