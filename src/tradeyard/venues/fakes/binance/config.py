"""Settings of the fake Binance USDⓈ-M server.

A frozen msgspec Struct, like every config in tradeyard: the CLI and tests build it, unknown
keys and bad bounds are refused at construction. Defaults are Binance's own numbers (2400
weight a minute, 60-minute listen keys, 20x default leverage, VIP0 fees), so a client tuned
against the fake behaves the same against the venue; tests shrink the time-based ones.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from tradeyard.venues.fakes.common.account_spec import AccountSpec
from tradeyard.venues.fakes.common.config import FakeConfigBase, NonNeg, Pos, PosInt

__all__ = ["DEFAULT_API_KEY", "DEFAULT_API_SECRET", "AccountSpec", "FakeBinanceConfig"]

DEFAULT_API_KEY = "tradeyardFakeBinanceKey0000000000000000000000000000000000000000001"
"""The key the fake accepts when none is configured (a public test credential, like
LocalStack's "test"/"test": it unlocks nothing but the local fake)."""
DEFAULT_API_SECRET = "tradeyardFakeBinanceSecret000000000000000000000000000000000000001"


class FakeBinanceConfig(FakeConfigBase, msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How the fake serves, replays, limits and times out."""

    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 0
    """0: any free port (tests); the server tells which one it got."""
    accounts: list[AccountSpec] = msgspec.field(
        default_factory=lambda: [AccountSpec(DEFAULT_API_KEY, DEFAULT_API_SECRET)]
    )
    speed: NonNeg = 0.0
    """Replay speed as a multiple of real time (60: a 1m bar per second); 0: only `advance()`."""
    substeps: PosInt = 4
    """In-progress kline updates per bar (the last one closes it)."""
    warmup_bars: Annotated[int, msgspec.Meta(ge=0)] = 1500
    """Bars already history when the replay starts (REST klines serve them for warm-up)."""
    start: int | None = None
    """Open time (ms) of the first replayed bar; overrides `warmup_bars`."""
    default_leverage: Annotated[int, msgspec.Meta(ge=1, le=125)] = 20
    maker_fee: NonNeg = 0.0002
    taker_fee: NonNeg = 0.0005
    recv_window_max_ms: PosInt = 60_000
    listen_key_ttl_s: Pos = 3600.0
    """A listen key expires this long after its creation or last keep-alive."""
    listen_key_check_s: Pos = 1.0
    """How often expiry is checked (tests make it short)."""
    weight_limit: PosInt = 2400
    weight_window_s: Pos = 60.0
    ban_after: Annotated[int, msgspec.Meta(ge=0)] = 5
    """429s in one window after which the address is banned (418)."""
    ban_s: Pos = 120.0
    ws_heartbeat_s: Pos = 180.0
    """Ping frame interval; a peer that does not answer is disconnected (Binance: 3 min)."""
    algo_orders_only: bool = True
    """Answer conditional types (STOP_MARKET, TAKE_PROFIT_MARKET, …) on `POST /fapi/v1/order`
    with -4120, as Binance does since they moved to the Algo Order API (`/fapi/v1/algoOrder`,
    served either way). False: also accept them on /fapi/v1/order, as Binance did before (for
    tests of that legacy path)."""
    algo_engine_client_id: Literal["algo", "generated"] = "algo"
    """The client id of the engine order a triggered algo order becomes. "algo": the algo
    order's `clientAlgoId` (the fake's reading of the docs). "generated": an id of its own,
    22 characters as Binance generates them, so a client must attribute the engine order's
    fills by ALGO_UPDATE `ai` (its order id). Which one Binance does is not documented."""
    algo_report_order: Literal["trigger_first", "fills_first"] = "trigger_first"
    """Order of the user-stream events when an algo order triggers and fills. "trigger_first":
    ALGO_UPDATE TRIGGERED (with `ai`), the engine order's ORDER_TRADE_UPDATE NEW and TRADE,
    ALGO_UPDATE FINISHED. "fills_first": the engine order's updates first, then TRIGGERED and
    FINISHED (a client sees a fill before the event that names its algo order)."""
    min_notional: dict[str, NonNeg] = {}
    """MIN_NOTIONAL overrides per symbol (others: `instruments.MIN_NOTIONAL` or 5 USDT)."""
