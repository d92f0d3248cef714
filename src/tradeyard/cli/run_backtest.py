"""`tradeyard backtest`: turn command-line options (or a config file) into a run and its outputs."""

from __future__ import annotations

from pathlib import Path

import msgspec
from rich.console import Console

from tradeyard import strategies
from tradeyard.backtest.report import write_report
from tradeyard.backtest.runner import load_run_data, run_backtest
from tradeyard.bots import EqualWeight, EquityFraction
from tradeyard.cli.output import result_json, write_atomic
from tradeyard.cli.progress import bar_progress
from tradeyard.cli.summary import summary_table, untraded_lines
from tradeyard.config import (
    BacktestConfig,
    DataConfig,
    StrategyConfig,
    VenueConfig,
    build_params,
    load_config,
    parse_param_overrides,
)
from tradeyard.config.load import validate
from tradeyard.config.schema import TraderConfig
from tradeyard.errors import ConfigError
from tradeyard.events.intervals import INTERVAL_MS
from tradeyard.marketdata import bundled_bars_dir
from tradeyard.marketdata.stream import ParquetBarSource

__all__ = ["config_from_options", "run_cli_backtest"]


def config_from_options(
    *,
    strategy: str | None,
    data: Path | None,
    symbols: str | None,
    interval: str,
    start: str | None,
    end: str | None,
    params: list[str],
    fee_rate: float | None,
    leverage: float,
    config: Path | None,
    funding: Path | None,
) -> BacktestConfig:
    if config is not None:
        cfg = load_config(config)
        if strategy is not None or params:
            raise ConfigError(
                "--strategy and --param cannot be combined with --config; "
                "put them in the config file"
            )
        if data is not None or symbols or start or end or funding is not None:
            d = cfg.data
            cfg = msgspec.structs.replace(
                cfg,
                data=msgspec.structs.replace(
                    d,
                    path=str(data) if data is not None else d.path,
                    symbols=_split(symbols) if symbols else d.symbols,
                    start=start or d.start,
                    end=end or d.end,
                    funding=str(funding) if funding is not None else d.funding,
                ),
            )
        return cfg
    if strategy is None:
        raise ConfigError("give --strategy NAME (see `tradeyard strategies`) or --config FILE")
    if fee_rate is not None and fee_rate < 0:
        raise ConfigError(f"--fee-rate must be >= 0, was {fee_rate}")
    if fee_rate is not None and fee_rate > 0.01:
        raise ConfigError(
            f"--fee-rate {fee_rate:g} is {fee_rate * 100:g} % of every fill's notional: it is a "
            f"fraction (0.0005 = 0.05 %), at most 0.01"
        )

    if leverage <= 0 or leverage > 125:
        raise ConfigError(f"--leverage must be in (0, 125], was {leverage}")
    overrides = parse_param_overrides(params)
    # Values arrive as strings; convert them by the parameter's declared type.
    build_params(strategy, overrides, where="--param", strict=False)
    typed = msgspec.to_builtins(build_params(strategy, overrides, where="--param", strict=False))
    typed = {k: v for k, v in typed.items() if k in overrides}
    venue = (
        VenueConfig() if fee_rate is None else VenueConfig(maker_fee=fee_rate, taker_fee=fee_rate)
    )
    # One symbol: 95 % of the wallet (times leverage). A basket: equal weight per symbol, so every
    # symbol's entry can be margined at once.
    n_symbols = _count_symbols(data, symbols)
    sizing = EquityFraction(fraction=0.95) if n_symbols <= 1 else None
    allocation = EqualWeight() if n_symbols > 1 else None
    cfg = BacktestConfig(
        strategies=[
            StrategyConfig(
                id=strategy,
                strategy=strategy,
                interval=_trading_interval(strategy, interval),
                params=typed,
            )
        ],
        traders=[
            TraderConfig(
                id="trader",
                follows={strategy: 1.0},
                sizing=sizing,
                allocation=allocation,
                leverage=leverage,
            )
        ],
        data=DataConfig(
            path=str(data) if data is not None else "",
            symbols=_split(symbols) if symbols else [],
            interval=interval,
            start=start or "",
            end=end or "",
            funding=str(funding) if funding is not None else True,
        ),
        venue=venue,
    )
    return validate(cfg)


def _trading_interval(strategy: str, data_interval: str) -> str:
    """The strategy's own interval when the data's bars aggregate to it (rsi_macd_cci's 5m from
    1m data); else the data's: `--interval 5m` runs a 1m strategy on the 5m bars it was given."""
    own = strategies.get(strategy).interval
    src, dst = INTERVAL_MS.get(data_interval), INTERVAL_MS[own]
    if src is None or (dst >= src and dst % src == 0):
        return ""  # the strategy's own (an unknown --interval is reported by the data loader)
    return data_interval


def run_cli_backtest(
    *,
    json_out: Path | None,
    report: Path | None,
    quiet: bool,
    stream: bool = False,
    console: Console,
    out: Console,
    **options: object,
) -> None:
    cfg = config_from_options(**options)  # type: ignore[arg-type]
    bars, funding = load_run_data(cfg, stream=stream)
    total = bars.row_count() if isinstance(bars, ParquetBarSource) else sum(len(b) for b in bars)
    note = _funding_note(cfg.data, _bar_symbols(bars), funding)
    if note and not quiet:
        console.print(f"note: {note}")
    if quiet:
        results = run_backtest(cfg, bars, funding, charts=report is not None)
    else:
        with bar_progress(total, "backtest", console) as advance:
            results = run_backtest(cfg, bars, funding, progress=advance, charts=report is not None)
    if json_out is not None:
        write_atomic(json_out, result_json(results))
    if report is not None:
        write_report(results, report)
    if not quiet:
        out.print(summary_table(results))
        for line in untraded_lines(results):
            out.print(line, markup=False, highlight=False)
        if json_out is not None:
            out.print(f"JSON:   {json_out}")
        if report is not None:
            out.print(f"report: {report}")


def _funding_note(
    data: DataConfig, symbols: list[str], funding: dict[str, list[tuple[int, float]]]
) -> str | None:
    """What funding the run charges, when it may not be what the user thinks."""
    if data.funding is True and data.path and not funding:
        return "no funding is charged: give --funding FOLDER of <SYMBOL>.parquet funding rates"
    missing = [s for s in symbols if s not in funding]
    if funding and missing:
        return f"no funding rates for {', '.join(missing)}: no funding is charged on them"
    return None


def _bar_symbols(bars: object) -> list[str]:
    if isinstance(bars, ParquetBarSource):
        return list(bars.symbols)
    return [b.symbol for b in bars]  # type: ignore[attr-defined]


def _count_symbols(data: Path | None, symbols: str | None) -> int:
    if symbols:
        return len(_split(symbols))
    folder = data if data is not None else bundled_bars_dir()
    return len(list(folder.glob("*.parquet"))) if folder.is_dir() else 1


def _split(text: str) -> list[str]:
    return [s.strip().upper() for s in text.split(",") if s.strip()]
