"""Events: the typed vocabulary every bot and transport speaks."""

from tradeyard.events import topics
from tradeyard.events._events import (
    EVENT_TYPES,
    AnyEvent,
    BalanceUpdate,
    Bar,
    CancelOrder,
    Control,
    Event,
    Fill,
    FundingRate,
    MarkPrice,
    OrderStatus,
    OrderType,
    OrderUpdate,
    PositionUpdate,
    Side,
    Signal,
    SubmitOrder,
    Trade,
)
from tradeyard.events.codec import decode_json, decode_msgpack, encode_json, encode_msgpack
from tradeyard.events.instrument import InstrumentSpec

__all__ = [
    "EVENT_TYPES",
    "AnyEvent",
    "BalanceUpdate",
    "Bar",
    "CancelOrder",
    "Control",
    "Event",
    "Fill",
    "FundingRate",
    "InstrumentSpec",
    "MarkPrice",
    "OrderStatus",
    "OrderType",
    "OrderUpdate",
    "PositionUpdate",
    "Side",
    "Signal",
    "SubmitOrder",
    "Trade",
    "decode_json",
    "decode_msgpack",
    "encode_json",
    "encode_msgpack",
    "topics",
]
