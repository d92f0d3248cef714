"""Settings of the fake Bybit v5 (linear USDT perpetuals) server.

A frozen msgspec Struct like every tradeyard config: the CLI and tests build it, unknown keys
and bad bounds are refused at construction. Defaults follow Bybit's own numbers (5 s default
recv window, 10 requests a second per UID on order endpoints, 10x default leverage, VIP0
fees), so a client tuned against the fake behaves the same against the venue.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from tradeyard.venues.fakes.common.account_spec import AccountSpec
from tradeyard.venues.fakes.common.config import FakeConfigBase, NonNeg, Pos, PosInt

__all__ = ["DEFAULT_API_KEY", "DEFAULT_API_SECRET", "AccountSpec", "FakeBybitConfig"]

DEFAULT_API_KEY = "tradeyardFakeBybitKey01"
"""The key the fake accepts when none is configured (a public test credential: it unlocks
nothing but the local fake)."""
DEFAULT_API_SECRET = "tradeyardFakeBybitSecret0000000000001"


class FakeBybitConfig(FakeConfigBase, msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How the fake serves, replays, limits and times out."""

    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 0
    """0: any free port (tests); the server tells which one it got."""
    accounts: list[AccountSpec] = msgspec.field(
        default_factory=lambda: [AccountSpec(DEFAULT_API_KEY, DEFAULT_API_SECRET)]
    )
    speed: NonNeg = 0.0
    """Replay speed as a multiple of real time (60: a 1m bar per second); 0: only `advance()`."""
    substeps: PosInt = 4
    """Kline updates per bar: substeps−1 with `confirm: false`, the last with `confirm: true`."""
    warmup_bars: Annotated[int, msgspec.Meta(ge=0)] = 1500
    start: int | None = None
    """Open time (ms) of the first replayed bar; overrides `warmup_bars`."""
    default_leverage: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10
    maker_fee: NonNeg = 0.0002
    taker_fee: NonNeg = 0.00055
    rate_limit: PosInt = 10
    """Signed requests per API key per `rate_window_s` before retCode 10006."""
    rate_window_s: Pos = 1.0
    ip_limit: PosInt = 600
    """Requests per client address per `ip_window_s` (Bybit: 600 per 5 s) before HTTP 403."""
    ip_window_s: Pos = 5.0
    ws_heartbeat_s: Pos = 600.0
    """Protocol-level ping interval; Bybit cuts idle connections after 10 minutes."""
    min_notional: dict[str, NonNeg] = {}
    """minNotionalValue overrides per symbol (others: 5 USDT, Bybit's usual value)."""
