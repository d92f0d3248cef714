"""Venue-independent building blocks of the fake exchanges."""

from tradeyard.venues.fakes.common.faults import Faults
from tradeyard.venues.fakes.common.ratelimit import LimitDecision, WeightLimiter
from tradeyard.venues.fakes.common.replay import Replay
from tradeyard.venues.fakes.common.server import LocalServer
from tradeyard.venues.fakes.common.wshub import WsClient, WsHub

__all__ = [
    "Faults",
    "LimitDecision",
    "LocalServer",
    "Replay",
    "WeightLimiter",
    "WsClient",
    "WsHub",
]
