"""Fake exchanges: local servers that speak a venue's real wire protocol over bars.

Users rehearse bots offline against them, and the live adapters (`venues/binance`, ...) are
tested against them: only the base URL changes. A fake is three layers:

- `common/`: venue-independent parts: the replay clock over Parquet bars, fault injection,
  request-weight limits, the websocket hub and the aiohttp server helpers.
- `<venue>/`: the wire (URL paths, signing, payload shapes, error codes) of one venue, with a
  `SimVenue` behind it executing the orders.
- the CLI command `tradeyard fake-exchange` (`cli/fake_exchange.py`).
"""
