"""tradeyard: run many crypto trading bots at once, with the same code in backtest, paper and live."""

__version__ = "0.1.0"
__all__ = ["__version__"]
