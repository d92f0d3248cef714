"""The shape of a `tradeyard run` config: venues (live or paper), strategies, traders, shutdown,
and the order store.

```toml
secrets_file = "~/.tradeyard/binance.env"   # optional: KEY=VALUE lines read at start

[store]                                     # optional: where orders and fills are kept
url = "sqlite:///tradeyard.db"              # default: tradeyard.db next to this file;
                                            # or postgresql+psycopg://user:pass@host/db
durability = "process"                      # or "power_loss" (fsync before each order)

[shutdown]
cancel_open_orders = true
positions = "keep"                          # or "flatten"

[[venues]]
name = "binance"
kind = "binanceusdm"                        # binanceusdm | bybit | paper
environment = "local"                       # local | testnet | prod
rest_url = "http://127.0.0.1:9100"          # local only
ws_url = "ws://127.0.0.1:9100/ws"
api_key_env = "BINANCE_API_KEY"             # names of environment variables, never the keys
api_secret_env = "BINANCE_API_SECRET"
symbols = ["BTCUSDT", "ETHUSDT"]
interval = "1m"
warmup_bars = 200

[[venues]]
name = "paper"
kind = "paper"
data = "binance"                            # live bars from this venue, fills by a SimVenue
starting_balance = 10000

[[strategies]]
id = "trend"
strategy = "sma_cross"
venue = "binance"                           # where its bars come from
params = { fast = 10, slow = 30 }

[[traders]]
id = "t1"
venue = "paper"                             # where it trades
follows = { trend = 1.0 }
```

`StrategyConfig` and `TraderConfig` are the backtest's own, with a `venue` key added. Every
problem is a ConfigError naming the key path and the fix (`validate_run_config`).
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from tradeyard.config import StrategyConfig, TraderConfig, build_params
from tradeyard.config.load import _explain
from tradeyard.errors import ConfigError
from tradeyard.marketdata import INTERVAL_MS
from tradeyard.store import default_url, normalize_url

__all__ = [
    "RunConfig",
    "RunStrategyConfig",
    "RunTraderConfig",
    "ShutdownConfig",
    "StoreConfig",
    "VenueEntry",
    "load_run_config",
    "parse_run_config",
    "read_secrets_file",
    "validate_run_config",
]

_Name = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_\-]{1,24}$")]
_EnvName = Annotated[str, msgspec.Meta(pattern=r"^[A-Z_][A-Z0-9_]*$")]
_Rate = Annotated[float, msgspec.Meta(ge=0.0, le=0.1)]
VenueKind = Literal["binanceusdm", "bybit", "paper"]
LIVE_KINDS = ("binanceusdm", "bybit")


class VenueEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One `[[venues]]` entry: a live exchange account, or a paper venue fed by one."""

    name: _Name
    kind: VenueKind
    environment: Literal["local", "testnet", "prod", "demo"] = "prod"
    rest_url: str | None = None
    ws_url: str | None = None
    """Binance: the websocket base ending in /ws; Bybit: the public linear stream."""
    private_ws_url: str | None = None
    """Bybit only: the private stream (local: the fake's .../v5/private)."""
    api_key_env: _EnvName = "BINANCE_API_KEY"
    api_secret_env: _EnvName = "BINANCE_API_SECRET"
    symbols: list[str] = msgspec.field(default_factory=list)
    interval: str = "1m"
    warmup_bars: Annotated[int, msgspec.Meta(ge=0, le=1500)] = 200
    reconnect_delay_s: Annotated[float, msgspec.Meta(ge=0.0)] = 0.2
    # -- how the adapter rides out faults (docs/resilience.md, "Settings") --
    reconnect_max_delay_s: Annotated[float, msgspec.Meta(ge=0.0)] = 30.0
    stale_after_s: Annotated[float, msgspec.Meta(gt=0.0)] | None = None
    """Silence on a kline stream that counts as dead; unset: the venue's default (Binance
    30 s, Bybit 90 s)."""
    rest_max_attempts: Annotated[int, msgspec.Meta(ge=1, le=20)] = 5
    rest_max_wait_s: Annotated[float, msgspec.Meta(ge=0.0)] = 300.0
    order_poll_s: Annotated[float, msgspec.Meta(ge=0.0)] = 30.0
    """An open order the private stream said nothing about for this long is asked about over
    REST (0: off)."""
    rest_weight_limit: Annotated[int, msgspec.Meta(ge=0)] = 2400
    """Binance only: the request weight a minute reads are kept under (at 80 %; 0: off)."""
    position_check_s: Annotated[float, msgspec.Meta(ge=0.0)] = 30.0
    """While running, compare the traders' positions with the exchange's this often; a
    difference seen at two checks in a row is a WARNING (0: off; runtime/position_watch.py)."""
    rate_limit: bool = True
    order_transport: Literal["rest", "websocket"] = "rest"
    """Orders over REST, or over the exchange's websocket trading API (not for "demo")."""
    margin_mode: Literal["cross", "isolated"] | None = None
    """Put every symbol in this margin mode at start; unset: leave the exchange's setting."""
    mark_price: bool = False
    """Also stream mark prices (with funding rates) to md.<venue>.<symbol>.mark."""
    trades: bool = False
    """Also stream public trades to md.<venue>.<symbol>.trade."""
    partial_bars: bool = False
    """Also publish the bar in progress (closed=False) on every kline update."""
    # -- paper only --
    data: str = ""
    """Paper: the venue whose live bars drive the simulated fills."""
    starting_balance: Annotated[float, msgspec.Meta(gt=0.0)] = 10_000.0
    maker_fee: _Rate = 0.0002
    taker_fee: _Rate = 0.0005


class RunStrategyConfig(StrategyConfig, frozen=True, forbid_unknown_fields=True):
    venue: str = ""
    """The venue whose bars it reads (default: the only data venue)."""


class RunTraderConfig(TraderConfig, frozen=True, forbid_unknown_fields=True):
    venue: str = ""
    """The venue it trades on (default: the only venue)."""


class ShutdownConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    cancel_open_orders: bool = True
    positions: Literal["keep", "flatten"] = "keep"
    timeout_s: Annotated[float, msgspec.Meta(gt=0.0, le=600.0)] = 30.0
    """How long shutdown waits for cancels and flattening fills before reporting what is left."""


class StoreConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The order store live venues write every order intent, state and fill to (and reconcile
    from after a restart)."""

    url: str = ""
    """A database URL: sqlite:///path (relative to the config's folder) or
    postgresql+psycopg://...; empty → sqlite file `tradeyard.db` next to the config."""
    durability: Literal["process", "power_loss"] = "process"
    """SQLite: what a recorded intent survives before its order goes out: a crash of the bot
    ("process", the default) or also an OS crash / power cut ("power_loss": an fsync per
    order, ~2 ms here)."""


class RunConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    venues: list[VenueEntry]
    strategies: list[RunStrategyConfig]
    traders: list[RunTraderConfig] = msgspec.field(default_factory=list)
    shutdown: ShutdownConfig = msgspec.field(default_factory=ShutdownConfig)
    store: StoreConfig = msgspec.field(default_factory=StoreConfig)
    secrets_file: str = ""
    seed: int = 0

    def venue(self, name: str) -> VenueEntry:
        return next(v for v in self.venues if v.name == name)

    def data_venue(self, name: str) -> VenueEntry:
        """The venue whose bars `name` uses: itself, or a paper venue's `data`."""
        v = self.venue(name)
        return self.venue(v.data) if v.kind == "paper" else v


# -- loading --------------------------------------------------------------------------------------
def load_run_config(
    path: str | Path, environ: Mapping[str, str] | None = None
) -> tuple[RunConfig, dict[str, str]]:
    """Read, check and resolve a run config: (config, environment incl. the secrets file)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {str(p)!r} does not exist")
    cfg = parse_run_config(p.read_bytes(), source=p.name)
    env = dict(os.environ if environ is None else environ)
    if cfg.secrets_file:
        secrets = Path(cfg.secrets_file).expanduser()
        if not secrets.is_absolute():
            secrets = p.parent / secrets
        if secrets.resolve() == p.resolve():
            raise ConfigError(
                "the secrets file cannot be the config itself: put KEY=VALUE lines in a "
                "separate file (never commit it)",
                where="secrets_file",
            )
        for key, value in read_secrets_file(secrets).items():
            env.setdefault(key, value)  # the process environment wins
    cfg = _with_store_url(cfg, p.parent)
    validate_run_config(cfg, env)
    return cfg, env


def _with_store_url(cfg: RunConfig, config_dir: Path) -> RunConfig:
    """The store URL made concrete: empty → tradeyard.db next to the config; a relative SQLite
    path is relative to the config's folder (not to wherever the node was started)."""
    url = cfg.store.url.strip()
    url = normalize_url(url, config_dir) if url else default_url(config_dir)
    return msgspec.structs.replace(cfg, store=StoreConfig(url=url, durability=cfg.store.durability))


def parse_run_config(text: bytes | str, source: str = "config") -> RunConfig:
    try:
        cfg = msgspec.toml.decode(text, type=RunConfig)
    except msgspec.ValidationError as e:
        raise ConfigError(_explain(str(e)), where=source) from e
    except msgspec.DecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", where=source) from e
    return _with_defaults(cfg)


_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def read_secrets_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (a .env file, or flat TOML `KEY = "value"`); `#` starts a comment.

    Values are never put in an error message: a bad line is named by its number only.
    """
    if not path.is_file():
        raise ConfigError(f"secrets file {str(path)!r} does not exist", where="secrets_file")
    out: dict[str, str] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "[")):
            continue
        m = _LINE.match(line)
        if m is None:
            raise ConfigError(
                f"line {n} of {path.name} is not KEY=VALUE (value not shown)", where="secrets_file"
            )
        value = m.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].strip()
        out[m.group(1)] = value
    return out


def _with_defaults(cfg: RunConfig) -> RunConfig:
    """Fill `venue` of strategies / traders when there is only one choice, and the default
    trader (following every strategy) when none is given."""
    data_venues = [v.name for v in cfg.venues if v.kind != "paper"]
    strategies = [
        s if s.venue or len(data_venues) != 1 else msgspec.structs.replace(s, venue=data_venues[0])
        for s in cfg.strategies
    ]
    traders = list(cfg.traders) or [
        RunTraderConfig(id="trader", follows={s.id: 1.0 for s in cfg.strategies})
    ]
    traders = [
        t
        if t.venue or len(cfg.venues) != 1
        else msgspec.structs.replace(t, venue=cfg.venues[0].name)
        for t in traders
    ]
    return msgspec.structs.replace(cfg, strategies=strategies, traders=traders)


# -- validation -----------------------------------------------------------------------------------
def validate_run_config(cfg: RunConfig, env: Mapping[str, str]) -> RunConfig:
    """Cross-section checks: names, references, symbols, intervals, credentials present."""
    if cfg.store.url.strip():
        normalize_url(cfg.store.url.strip())  # a ConfigError at store.url naming the forms
    if not cfg.venues:
        raise ConfigError("at least one [[venues]] entry is needed", where="venues")
    names: dict[str, int] = {}
    for i, v in enumerate(cfg.venues):
        if v.name in names:
            raise ConfigError(
                f"duplicate venue name {v.name!r}: give each venue its own name",
                where=f"venues[{i}].name",
            )
        names[v.name] = i
    for i, v in enumerate(cfg.venues):
        _check_venue(cfg, i, v, names, env)
    if not cfg.strategies:
        raise ConfigError("at least one [[strategies]] entry is needed", where="strategies")
    ids: set[str] = set()
    known = ", ".join(names)
    for i, s in enumerate(cfg.strategies):
        where = f"strategies[{i}]"
        if s.id in ids:
            raise ConfigError(f"duplicate id {s.id!r}: every strategy needs its own id",
                              where=f"{where}.id")  # fmt: skip
        ids.add(s.id)
        if not s.venue:
            raise ConfigError(
                f"say where its bars come from: venue = one of {known}", where=f"{where}.venue"
            )
        if s.venue not in names:
            raise ConfigError(f"unknown venue {s.venue!r} (defined: {known})",
                              where=f"{where}.venue")  # fmt: skip
        data = cfg.data_venue(s.venue)
        missing = [x for x in s.symbols if x not in data.symbols]
        if missing:
            raise ConfigError(
                f"symbol(s) {', '.join(missing)} are not streamed by venue {data.name!r} "
                f"(its symbols: {', '.join(data.symbols)}); add them to that venue's symbols",
                where=f"{where}.symbols",
            )
        params = build_params(s.strategy, s.params, where=where)
        _ = params
        if s.interval:
            _check_interval(data.interval, s.interval, f"{where}.interval")
    tids: set[str] = set()
    for i, t in enumerate(cfg.traders):
        where = f"traders[{i}]"
        if t.id in tids or t.id in ids:
            raise ConfigError(f"duplicate id {t.id!r}: bots need distinct ids", where=f"{where}.id")
        tids.add(t.id)
        if not t.venue:
            raise ConfigError(f"say where it trades: venue = one of {known}",
                              where=f"{where}.venue")  # fmt: skip
        if t.venue not in names:
            raise ConfigError(f"unknown venue {t.venue!r} (defined: {known})",
                              where=f"{where}.venue")  # fmt: skip
        if not t.follows:
            raise ConfigError("a trader must follow at least one strategy, e.g. "
                              "follows = { trend = 1.0 }", where=f"{where}.follows")  # fmt: skip
        for name in t.follows:
            if name not in ids:
                raise ConfigError(
                    f"unknown strategy id {name!r} (defined: {', '.join(sorted(ids))})",
                    where=f"{where}.follows",
                )
        tradable = cfg.data_venue(t.venue).symbols
        missing = [x for x in t.symbols if x not in tradable]
        if missing:
            raise ConfigError(
                f"symbol(s) {', '.join(missing)} are not configured on venue {t.venue!r} "
                f"(its symbols: {', '.join(tradable)})",
                where=f"{where}.symbols",
            )
    return cfg


def _check_venue(
    cfg: RunConfig, i: int, v: VenueEntry, names: Mapping[str, int], env: Mapping[str, str]
) -> None:
    where = f"venues[{i}]"
    if v.kind == "paper":
        if not v.data:
            raise ConfigError(
                'a paper venue needs live bars: data = "<name of a binanceusdm/bybit venue>"',
                where=f"{where}.data",
            )
        if v.data not in names:
            raise ConfigError(f"unknown venue {v.data!r} (defined: {', '.join(names)})",
                              where=f"{where}.data")  # fmt: skip
        if cfg.venue(v.data).kind == "paper":
            raise ConfigError(f"venue {v.data!r} is itself a paper venue: point data at a live "
                              "one", where=f"{where}.data")  # fmt: skip
        if v.symbols:
            raise ConfigError("a paper venue trades its data venue's symbols: remove symbols "
                              "here", where=f"{where}.symbols")  # fmt: skip
        return
    if v.data:
        raise ConfigError('data is only for kind = "paper"', where=f"{where}.data")
    if v.kind == "bybit" and importlib.util.find_spec("tradeyard.venues.bybit") is None:
        raise ConfigError(
            "the Bybit adapter (tradeyard.venues.bybit) is not available in this build; use "
            'kind = "binanceusdm", or a paper venue',
            where=f"{where}.kind",
        )
    if not v.symbols:
        raise ConfigError("list the symbols to stream, e.g. symbols = [\"BTCUSDT\"]",
                          where=f"{where}.symbols")  # fmt: skip
    if v.interval not in INTERVAL_MS:
        raise ConfigError(
            f"unknown interval {v.interval!r}: expected one of {', '.join(INTERVAL_MS)}",
            where=f"{where}.interval",
        )
    if v.environment == "local" and not (v.rest_url and v.ws_url):
        raise ConfigError(
            'environment = "local" (a fake exchange) needs rest_url and ws_url, e.g. '
            'rest_url = "http://127.0.0.1:9100", ws_url = "ws://127.0.0.1:9100/ws"',
            where=f"{where}.rest_url",
        )
    if v.kind == "bybit" and v.environment == "local" and not v.private_ws_url:
        raise ConfigError(
            "a local Bybit fake also needs private_ws_url, e.g. "
            '"ws://127.0.0.1:9200/v5/private" (ws_url is its public linear stream)',
            where=f"{where}.private_ws_url",
        )
    if v.order_transport == "websocket" and v.environment == "demo":
        raise ConfigError(
            'websocket order entry is not offered for environment = "demo": use '
            'order_transport = "rest"',
            where=f"{where}.order_transport",
        )
    if v.kind != "bybit" and v.private_ws_url:
        raise ConfigError(
            'private_ws_url is only for kind = "bybit"', where=f"{where}.private_ws_url"
        )
    for key in ("api_key_env", "api_secret_env"):
        var = getattr(v, key)
        if not env.get(var):
            raise ConfigError(
                f"environment variable {var} is not set or empty (it should hold the "
                f"{'API key' if key == 'api_key_env' else 'API secret'} of venue {v.name!r}): "
                f"export {var}=..., put it in the secrets_file, or name another variable here",
                where=f"{where}.{key}",
            )


def _check_interval(data_interval: str, interval: str, where: str) -> None:
    if interval not in INTERVAL_MS:
        raise ConfigError(
            f"unknown interval {interval!r}: expected one of {', '.join(INTERVAL_MS)}", where=where
        )
    src, dst = INTERVAL_MS[data_interval], INTERVAL_MS[interval]
    if dst < src or dst % src:
        raise ConfigError(
            f"a strategy reads {interval} bars but its venue streams {data_interval}: stream "
            f"{interval} or finer (bars are aggregated up, never split)",
            where=where,
        )
