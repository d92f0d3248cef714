"""Bots: the Bot base, Strategy (signal bot) and Trader (execution bot), and what they see."""

from tradeyard.bots.bot import Bot
from tradeyard.bots.context import BotContext
from tradeyard.bots.sizing import EquityFraction, FixedNotional, FixedQuantity, Sizing
from tradeyard.bots.strategy import Strategy
from tradeyard.bots.strategy_bot import StrategyBot
from tradeyard.bots.trader import Trader

__all__ = [
    "Bot",
    "BotContext",
    "EquityFraction",
    "FixedNotional",
    "FixedQuantity",
    "Sizing",
    "Strategy",
    "StrategyBot",
    "Trader",
]
