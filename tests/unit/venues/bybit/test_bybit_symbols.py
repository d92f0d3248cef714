from __future__ import annotations

import pytest

from tradeyard.errors import ConfigError
from tradeyard.venues.bybit.symbols import to_ccxt, to_venue


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("BTCUSDT", "BTC/USDT:USDT"), ("1000PEPEUSDT", "1000PEPE/USDT:USDT"),
     ("ETHUSDC", "ETH/USDC:USDC")],
)  # fmt: skip
def test_bybit_symbols_when_converted_both_ways_round_trip(ours: str, theirs: str) -> None:
    assert to_ccxt(ours) == theirs
    assert to_venue(theirs) == ours
    assert to_venue(to_ccxt(ours)) == ours


@pytest.mark.parametrize("bad", ["USDT", "BTCEUR", "BTCPERP", ""])
def test_bybit_to_ccxt_when_not_a_linear_perpetual_raises_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="not a Bybit linear perpetual"):
        to_ccxt(bad)


@pytest.mark.parametrize("bad", ["BTC/USDT", "BTC/USD:BTC", "BTCUSDT", "/USDT:USDT"])
def test_bybit_to_venue_when_not_linear_perpetual_raises_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="BASE/QUOTE:QUOTE"):
        to_venue(bad)
