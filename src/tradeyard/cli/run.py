"""`tradeyard run CONFIG [--for SECONDS]`: the config's bots on live bars, trading live or paper.

Register in `cli/main.py`::

    from tradeyard.cli.run import run_command
    app.command("run")(run_command)

A bad config is one `error: …` line on stderr and exit code 2. SIGINT / SIGTERM (or `--for`)
stop the node cleanly: open orders cancelled if configured, positions kept or flattened, and
what is left open printed. API keys come from environment variables (or the config's
`secrets_file`) and are never printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.live import Live
from rich.text import Text

from tradeyard.errors import ConfigError, TradeyardError

__all__ = ["run_command", "status_line"]


def run_command(
    config: Annotated[Path, typer.Argument(help="A TOML run config: venues, strategies, traders.")],
    for_: Annotated[
        float | None,
        typer.Option("--for", min=0.0, help="Stop after this many seconds (tests, demos)."),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No status line.")] = False,
) -> None:
    """Run strategies and traders on live market data: live on an exchange, or paper."""
    from tradeyard.runtime import Node, load_run_config

    console = Console(stderr=True)
    try:
        cfg, env = load_run_config(config)
        node = Node(cfg, env)
    except (ConfigError, msgspec.ValidationError) as e:
        print(f"error: {e}", file=sys.stderr)
        raise typer.Exit(code=2) from None
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        report = asyncio.run(_main(node, for_, console, quiet))
    except asyncio.CancelledError:
        print(
            "error: aborted during shutdown; orders and positions were not checked", file=sys.stderr
        )
        raise typer.Exit(code=130) from None
    except TradeyardError as e:
        print(f"error: {e}", file=sys.stderr)
        raise typer.Exit(code=2 if isinstance(e, ConfigError) else 1) from None
    out = Console()
    lines = report.lines()
    out.print("stopped; at exit:" if lines else "stopped")
    for line in lines:
        out.print(f"  {line}", markup=False, highlight=False)
    if report.errors:
        raise typer.Exit(code=1)


async def _main(node, duration: float | None, console: Console, quiet: bool):  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(node.run(duration))

    def on_signal() -> None:
        # First signal: clean shutdown (cancel, keep/flatten, report). Second: give up now.
        if node.stopping:
            task.cancel()
        else:
            console.print("stopping… (again to abort the clean shutdown)")
            node.request_stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, on_signal)
    if quiet or not console.is_terminal:
        return await task
    with Live(Text("starting…"), console=console, refresh_per_second=2, transient=True) as live:
        while not task.done():
            live.update(Text(status_line(node.status())))
            await asyncio.wait({task}, timeout=0.5)
    return task.result()


def status_line(status: dict) -> str:  # type: ignore[type-arg]
    """One line: the last bar's time, counters, positions per trader."""
    last = status.get("last_bar_ms") or 0
    when = datetime.fromtimestamp(last / 1000, UTC).strftime("%Y-%m-%d %H:%M") if last else "—"
    pos = "; ".join(
        f"{t}: " + (", ".join(f"{s} {q:+g}" for s, q in p.items()) or "flat")
        for t, p in status.get("positions", {}).items()
    )
    phase = "live" if status.get("warm") else "warming up"
    return (
        f"{phase} | last bar {when} | bars {status['bars']} signals {status['signals']} "
        f"orders {status['orders']} fills {status['fills']} rejected {status['rejections']} "
        f"not traded {status.get('skipped', 0)} | {pos}"
    )
