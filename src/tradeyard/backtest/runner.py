"""Build a backtest from a validated config and run it: the kernel of the `backtest` command.

Object graph: one in-process bus, one simulated venue, a StrategyBot per [[strategies]] entry,
a Trader per [[traders]] entry, the engine. Only this module knows how they are wired.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from tradeyard.backtest.charts import build_charts
from tradeyard.backtest.engine import BacktestEngine, TraderRun
from tradeyard.backtest.merge import BarSource
from tradeyard.backtest.metrics import compute_metrics
from tradeyard.backtest.recorder import Recorder
from tradeyard.backtest.results import BacktestResult, EquityCurve, skipped_signals
from tradeyard.bots import BotContext, StrategyBot, Trader
from tradeyard.bots.aggregator import AggregatorBot
from tradeyard.bots.sizing import never_orders
from tradeyard.bus import Handler, InProcessBus
from tradeyard.config import BacktestConfig, TraderConfig, build_params
from tradeyard.errors import ConfigError
from tradeyard.events import InstrumentSpec
from tradeyard.events.topics import topic_for
from tradeyard.marketdata import (
    INTERVAL_MS,
    BarSeries,
    bundled_bars_dir,
    bundled_funding_dir,
    load_bars,
    load_funding,
    parse_time,
)
from tradeyard.marketdata.stream import ParquetBarSource
from tradeyard.strategies import get as get_strategy
from tradeyard.venues.sim import SimVenue
from tradeyard.venues.sim.config import default_instrument

__all__ = ["load_run_data", "run_backtest"]


def load_run_data(
    cfg: BacktestConfig, stream: bool = False
) -> tuple[list[BarSeries] | ParquetBarSource, dict[str, list[tuple[int, float]]]]:
    """Bars for every symbol any strategy trades, and funding rates where configured.

    `stream=True` returns a ParquetBarSource that reads the files in batches during the run
    (memory O(window) however long the history); the files' checks then happen as they stream.
    """
    d = cfg.data
    path = Path(d.path) if d.path else bundled_bars_dir()
    wanted: list[str] = list(d.symbols)
    for s in cfg.strategies:
        wanted += [x for x in s.symbols if x not in wanted]
    start, end = parse_time(d.start, "from"), parse_time(d.end, "to")
    bars: list[BarSeries] | ParquetBarSource
    if stream:
        bars = ParquetBarSource(path, wanted or None, d.interval, start, end)
        symbols = bars.symbols
    else:
        loaded = load_bars(path, wanted or None, d.interval, start, end)
        bars, symbols = list(loaded.values()), list(loaded)
    funding: dict[str, list[tuple[int, float]]] = {}
    if isinstance(d.funding, str) and d.funding:
        funding = load_funding(d.funding, symbols)
    elif d.funding is True and not d.path:
        funding = load_funding(bundled_funding_dir(), symbols)
    return bars, funding


def run_backtest(
    cfg: BacktestConfig,
    bars: list[BarSeries] | BarSource | None = None,
    funding: dict[str, list[tuple[int, float]]] | None = None,
    progress: Callable[[int], None] | None = None,
    charts: bool = True,
    chunk_size: int = 65_536,
    journal: Handler | None = None,
    journal_topics: str = ">",
    skip: bool = True,
) -> list[BacktestResult]:
    """Run the config's bots over `bars` (loaded from the config when not given).

    `bars` may be a `BarSource` that streams time windows (memory O(window); no charts then).
    `journal`, when given, sees every event on the bus whose topic matches `journal_topics`,
    with its topic, in delivery order (a journal of bar topics is visited on every bar).
    `skip=False` visits every bar even where nothing can happen (same results, slower).
    """
    if bars is None:
        bars, funding = load_run_data(cfg)
    streamed = isinstance(bars, BarSource)
    symbols = list(bars.symbols) if streamed else [b.symbol for b in bars]
    bus = InProcessBus()
    if journal is not None:
        bus.subscribe(journal_topics, journal)
    venue_cfg = cfg.venue
    venue = SimVenue(venue_cfg, bus.publish, funding=funding or None)

    def emitter(bot_id: str) -> BotContext:
        ctx = BotContext(bot_id, lambda e: bus.publish(topic_for(e), e), seed=cfg.seed)
        return ctx

    strategy_bots: list[StrategyBot] = []
    data_interval = bars.interval if streamed else bars[0].interval
    for i, s in enumerate(cfg.strategies):
        syms = s.symbols or symbols
        missing = [x for x in syms if x not in symbols]
        if missing:
            raise ConfigError(
                f"symbol(s) {', '.join(missing)} not in the data (have: {', '.join(symbols)})",
                where=f"strategies[{i}].symbols",
            )
        params = build_params(s.strategy, s.params, where=f"strategies[{i}]")
        cls = get_strategy(s.strategy)
        bot = StrategyBot(
            emitter(s.id),
            cls,
            params,
            syms,
            venue=cfg.venue.name,
            interval=s.interval or cls.interval,
        )
        for iv in bot.intervals():
            check_aggregatable(data_interval, iv, where=f"strategies[{i}].interval")
        strategy_bots.append(bot)
    feeds = aggregator_bots(
        strategy_bots, data_interval, cfg.venue.name, cfg.data.day_offset_hours * 3_600_000, emitter
    )
    # Traders round to the same filters the venue enforces (its defaults where none are given).
    instruments = _instruments(cfg, symbols)
    traders = [
        Trader(
            emitter(t.id),
            cfg.venue.name,
            t.follows,
            t.sizing,
            t.leverage,
            instruments,
            symbols=t.symbols or _followed_symbols(cfg, t, symbols),
            allocation=t.allocation,
            max_symbol_leverage=t.max_symbol_leverage,
            max_total_leverage=t.max_total_leverage,
            margin_buffer=t.margin_buffer,
            taker_fee=cfg.venue.taker_fee,
            bar_interval=data_interval,
        )
        for t in cfg.traders
    ]
    engine = BacktestEngine(
        bus,
        venue,
        bars,
        strategy_bots,
        traders,
        chunk_size=chunk_size,
        progress=progress,
        feeds=feeds,
        skip=skip,
    )
    runs = engine.run()
    results = [
        _result(cfg, runs[t.bot_id], engine.recorder, engine.bars_processed, t) for t in traders
    ]
    if charts and results and not streamed:  # charts need the whole series in memory
        first = cfg.traders[0]
        followed = [b for b in strategy_bots if b.bot_id in first.follows]
        results[0].charts = build_charts(bars, followed, results[0].trades)
    return results


def _instruments(cfg: BacktestConfig, symbols: list[str]) -> dict[str, InstrumentSpec]:
    """Each data symbol's filters; checks the traders' baskets and leverage against them."""
    venue = cfg.venue
    if venue.instruments:
        unknown = [s for s in symbols if venue.instrument(s) is None]
        if unknown:
            raise ConfigError(
                f"symbol(s) {', '.join(unknown)} have no [venue.instruments] entry; add one or "
                f"drop them from the data (known: {', '.join(venue.instruments)})",
                where="venue.instruments",
            )
    specs = {s: venue.instrument(s) or default_instrument(s) for s in symbols}
    for i, t in enumerate(cfg.traders):
        missing = [s for s in t.symbols if s not in specs]
        if missing:
            raise ConfigError(
                f"basket symbol(s) {', '.join(missing)} not in the data (have: {', '.join(symbols)})",
                where=f"traders[{i}].symbols",
            )
        for sym in t.symbols or _followed_symbols(cfg, t, symbols):
            cap = specs[sym].max_leverage
            if t.leverage > cap:
                raise ConfigError(
                    f"leverage {t.leverage:g} above the venue's maximum {cap:g} for {sym}; "
                    f"lower it to {cap:g} or less",
                    where=f"traders[{i}].leverage",
                )
            reason = never_orders(t.sizing, specs[sym])
            if reason is not None:
                raise ConfigError(reason, where=f"traders[{i}].sizing")
    return specs


def _followed_symbols(
    cfg: BacktestConfig, trader: TraderConfig, data_symbols: list[str]
) -> list[str]:
    """The symbols of the strategies a trader follows, in data order."""
    wanted = {
        sym for s in cfg.strategies if s.id in trader.follows for sym in (s.symbols or data_symbols)
    }
    return [s for s in data_symbols if s in wanted]


def check_aggregatable(data_interval: str, interval: str, where: str) -> None:
    """A strategy's interval must be the data's or a multiple of it that we aggregate to."""
    if interval not in INTERVAL_MS:
        raise ConfigError(
            f"unknown interval {interval!r}: expected one of {', '.join(INTERVAL_MS)}", where=where
        )
    if interval == data_interval:
        return
    src, dst = INTERVAL_MS[data_interval], INTERVAL_MS[interval]
    if dst < src or dst % src:
        raise ConfigError(
            f"a strategy reads {interval} bars but the data is {data_interval}: give data at "
            f"{interval} or finer (bars are aggregated up, never split), or set its interval = "
            f'"{data_interval}" to trade the data\'s bars',
            where=where,
        )


def aggregator_bots(
    bots: list[StrategyBot],
    data_interval: str,
    venue: str,
    day_offset_ms: int,
    make_ctx: Callable[[str], BotContext],
) -> list[AggregatorBot]:
    """One aggregator for the symbols and coarser intervals the strategies read."""
    wanted: dict[str, set[str]] = {}
    for bot in bots:
        for iv in bot.intervals():
            if iv != data_interval:
                for symbol in bot.instances:
                    wanted.setdefault(symbol, set()).add(iv)
    if not wanted:
        return []
    by_targets: dict[tuple[str, ...], list[str]] = {}
    for symbol, ivs in wanted.items():
        by_targets.setdefault(tuple(sorted(ivs, key=INTERVAL_MS.__getitem__)), []).append(symbol)
    return [
        AggregatorBot(
            make_ctx(f"agg{k}"),
            venue,
            symbols,
            data_interval,
            list(targets),
            day_offset_ms=day_offset_ms % INTERVAL_MS["1d"],
        )
        for k, (targets, symbols) in enumerate(by_targets.items())
    ]


def _result(
    cfg: BacktestConfig, run: TraderRun, rec: Recorder, bars: int, trader: Trader
) -> BacktestResult:
    builder = rec.builder(run.trader)
    tcfg = next(t for t in cfg.traders if t.id == run.trader)
    params = {
        s.id: {"strategy": s.strategy, **s.params} for s in cfg.strategies if s.id in tcfg.follows
    }
    result = BacktestResult(
        label=run.trader,
        starting_equity=run.starting_equity,
        equity=EquityCurve(times=run.times, equity=run.equity),
        trades=list(builder.closed),
        fills=rec.fills.get(run.trader, []),
        orders=rec.orders.get(run.trader, []),
        fees_paid=run.fees_paid,
        funding_paid=run.funding_paid,
        exposure=run.exposure,
        bars_processed=bars,
        parameters={
            "follows": dict(tcfg.follows),
            "leverage": tcfg.leverage,
            "sizing": _sizing_text(tcfg),
            "strategies": params,
        },
        skipped=skipped_signals(trader.decisions),
    )
    result.metrics = compute_metrics(result)
    # inf (equity wiped out with a position open) is not JSON: report a large finite number
    result.metrics["max_leverage"] = min(run.max_leverage, 1e9)
    return result


def _sizing_text(t: object) -> str:
    import msgspec

    how = t.allocation if t.allocation is not None else t.sizing  # type: ignore[attr-defined]
    return msgspec.json.encode(how).decode() if how is not None else "default"


_ = np  # numpy is used by callers through the result arrays
