"""Which engine order belongs to which of our conditional (algo) orders, and what the user stream
said about an engine order before that was known. Pure bookkeeping, no I/O: `execution.py`
feeds it and acts on its answers.

When a Binance algo order triggers, the matching engine gets an ordinary order with its own
order id; its fills arrive as ORDER_TRADE_UPDATE under that order's client id (`c`), which
Binance does not document to be the algo's `clientAlgoId`. ALGO_UPDATE TRIGGERED / FINISHED
name the engine order (`ai`), so `learn` maps engine order id → our client order id from
them. ccxt hands the two event types to different watchers (trades, orders), so a fill can be
processed before the ALGO_UPDATE that names its order. The rule:

- an item (trade or order update) whose order id is mapped belongs to the mapped client order
  id, whatever its own `c` says;
- else one whose `c` is ours is ours (Binance kept the algo's client id);
- else, if one of our conditional orders on the same symbol is *armed* (accepted, not known to
  have triggered or ended), the item is held under its order id, in arrival order;
- else it is not ours (an order placed outside this node) and is dropped as before.

`learn` hands back the held items of the engine order it maps, to be published in order. Items
still held `BinanceConfig.algo_fill_hold_s` after the first of their order arrived are asked
about over REST by the adapter (the algo API's `actualOrderId` of each armed order on the
symbol) and dropped if no armed order claims them (logged at ERROR when the API did not answer).
An algo order is armed when sent (or found resting after a restart) and disarmed once it is
known to have triggered or ended. The buffer is bounded (`max_held` items): when full, a new item is
not held but dropped and logged by the adapter. Learned mappings are bounded too (the oldest
are forgotten first; an engine order's events come within seconds of its trigger).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["EngineOrders", "Held", "HeldKind", "Owner"]

HeldKind = Literal["trade", "order"]


@dataclass(frozen=True, slots=True)
class Held:
    """One stream item waiting for its engine order to be named."""

    kind: HeldKind
    item: Mapping[str, Any]
    """The ccxt trade or order, as the watcher got it."""
    symbol: str
    """Venue symbol (BTCUSDT)."""


@dataclass(frozen=True, slots=True)
class Owner:
    """Our algo order behind an engine order."""

    client_order_id: str
    algo_type: str
    """The algo's raw order type (STOP_MARKET, …): the engine order's own says MARKET."""


class EngineOrders:
    """Engine order id → our algo order; armed algo orders per symbol; held stream items."""

    def __init__(self, max_held: int = 1000, max_known: int = 10_000) -> None:
        self._max_held = max_held
        self._max_known = max_known
        self._owners: OrderedDict[str, Owner] = OrderedDict()
        self._armed: dict[str, str] = {}
        """Client order id → venue symbol of our algo orders whose engine order is not known."""
        self._held: dict[str, list[Held]] = {}
        self._count = 0

    # -- our algo orders ----------------------------------------------------------------------
    def arm(self, client_order_id: str, symbol: str) -> None:
        """Our algo order may trigger: unknown items on `symbol` may be its engine order's."""
        self._armed[client_order_id] = symbol

    def disarm(self, client_order_id: str) -> None:
        """It ended (or triggered): no unknown item is waited for on its account any more."""
        self._armed.pop(client_order_id, None)

    def armed_on(self, symbol: str) -> list[str]:
        return [coid for coid, sym in self._armed.items() if sym == symbol]

    # -- engine orders ------------------------------------------------------------------------
    def owner(self, engine_order_id: str) -> Owner | None:
        return self._owners.get(engine_order_id) if engine_order_id else None

    def learn(self, engine_order_id: str, client_order_id: str, algo_type: str) -> list[Held]:
        """Map an engine order to our algo order; its held items, oldest first."""
        self._armed.pop(client_order_id, None)
        self._owners[engine_order_id] = Owner(client_order_id, algo_type)
        self._owners.move_to_end(engine_order_id)
        while len(self._owners) > self._max_known:
            self._owners.popitem(last=False)
        return self.take(engine_order_id)

    def may_hold(self, symbol: str) -> bool:
        """Whether an unknown item on `symbol` could be an engine order of ours."""
        return any(sym == symbol for sym in self._armed.values())

    def hold(self, engine_order_id: str, held: Held) -> bool:
        """Keep `held` until its engine order is named; False when the buffer is full."""
        if self._count >= self._max_held:
            return False
        self._held.setdefault(engine_order_id, []).append(held)
        self._count += 1
        return True

    def is_held(self, engine_order_id: str) -> bool:
        return engine_order_id in self._held

    def take(self, engine_order_id: str) -> list[Held]:
        """Remove and return what is held for an engine order (oldest first)."""
        items = self._held.pop(engine_order_id, [])
        self._count -= len(items)
        return items
