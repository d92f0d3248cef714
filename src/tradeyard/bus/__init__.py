"""The publish/subscribe bus and its transports."""

from tradeyard.bus._protocol import Bus, Handler, Subscription
from tradeyard.bus.inprocess import InProcessBus

__all__ = ["Bus", "Handler", "InProcessBus", "Subscription"]
