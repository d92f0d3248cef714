"""The settings every live adapter shares (`BinanceConfig`, `BybitConfig` add their own URLs,
defaults and bounds).

A frozen msgspec Struct, like every tradeyard config: unknown keys and bad bounds are refused at
construction. It names the *environment variables* that hold the API key and secret, never the
secrets themselves, so a config file, a log line or a repr can never leak a credential.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

__all__ = ["EnvName", "Environment", "LiveVenueConfig"]

Environment = Literal["prod", "testnet", "demo", "local"]
EnvName = Annotated[str, msgspec.Meta(pattern=r"^[A-Z_][A-Z0-9_]*$")]


class LiveVenueConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Where an adapter connects, which credentials, symbols and bars it uses, and how it
    behaves when the connection or the venue misbehaves (docs/resilience.md)."""

    environment: Environment = "prod"
    """`local` is a fake server (`venues/fakes`); it needs the venue's URLs."""
    venue: str = ""
    """The venue token in topics (`md.<venue>…`, `cmd.<venue>`)."""
    api_key_env: EnvName = "API_KEY"
    """Name of the environment variable holding the API key."""
    api_secret_env: EnvName = "API_SECRET"
    """Name of the environment variable holding the API secret."""
    rest_url: str | None = None
    """Override of the REST base (scheme + host[:port], no path), e.g. http://127.0.0.1:8080."""
    symbols: list[str] = msgspec.field(default_factory=list)
    """Venue symbols (BTCUSDT) whose bars are streamed."""
    interval: str = "1m"
    warmup_bars: Annotated[int, msgspec.Meta(ge=0)] = 200
    """Closed bars fetched over REST per symbol at start."""
    reconnect_delay_s: Annotated[float, msgspec.Meta(ge=0.0)] = 0.2
    """Base pause before a dropped websocket is watched again: the n-th pause in a row is drawn
    from [0, min(reconnect_max_delay_s, reconnect_delay_s * 2**n)] (full jitter)."""
    reconnect_max_delay_s: Annotated[float, msgspec.Meta(ge=0.0)] = 30.0
    """Largest pause between two reconnect attempts."""
    stale_after_s: Annotated[float, msgspec.Meta(gt=0.0)] = 30.0
    """A symbol's kline stream that sent nothing for this long is treated as dead (stale-stream
    watchdog): the feed closes its websocket, reconnects and backfills the missed bars over REST."""
    rest_max_attempts: Annotated[int, msgspec.Meta(ge=1, le=20)] = 5
    """Tries in all of a REST request refused for rate limits (429 / 418 / 10006) before the error
    reaches the caller; each wait is the venue's Retry-After, else a jittered backoff."""
    rest_max_wait_s: Annotated[float, msgspec.Meta(ge=0.0)] = 300.0
    """A Retry-After longer than this (a long IP ban) is not waited out inside a request."""
    rate_limit: bool = True
    """ccxt's client-side throttle (tests against the fake turn it off)."""
    partial_bars: bool = False
    """Also publish the bar in progress (closed=False) on each kline update."""
    trades: bool = False
    """Also stream public trades to md.<venue>.<symbol>.trade."""
    mark_price: bool = False
    """Also stream each symbol's mark price (with the funding rate) to md.<venue>.<symbol>.mark."""
    margin_mode: Literal["cross", "isolated"] | None = None
    """Set on every symbol at start (None: leave the exchange's setting as it is)."""
    order_poll_s: Annotated[float, msgspec.Meta(ge=0.0)] = 30.0
    """Safety net for a private stream that goes quiet without closing: an open order the
    stream has said nothing about for this long is asked about over REST, and what the stream
    missed (fills, a cancel) is published. 0 turns it off. Needs the order store."""
    order_transport: Literal["rest", "websocket"] = "rest"
    """How orders and cancels go out: REST, or the exchange's websocket trading API over a
    connection kept open, which saves a request's setup on every order. Not offered for
    environment "demo"."""
