"""Bots: the Bot base, Strategy (signal bot) and Trader (execution bot), and what they see."""

from tradeyard.bots.allocation import Allocation, EqualWeight, FixedFraction, VolatilityScaled
from tradeyard.bots.bot import Bot
from tradeyard.bots.context import BotContext
from tradeyard.bots.sizing import EquityFraction, FixedNotional, FixedQuantity, Sizing
from tradeyard.bots.sizing_record import SizingDecision
from tradeyard.bots.strategy import BarsView, Strategy
from tradeyard.bots.strategy_bot import StrategyBot
from tradeyard.bots.trader import Trader

__all__ = [
    "Allocation",
    "BarsView",
    "Bot",
    "BotContext",
    "EqualWeight",
    "EquityFraction",
    "FixedFraction",
    "FixedNotional",
    "FixedQuantity",
    "Sizing",
    "SizingDecision",
    "Strategy",
    "StrategyBot",
    "Trader",
    "VolatilityScaled",
]
