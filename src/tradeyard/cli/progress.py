"""A rich progress bar over bars processed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["bar_progress"]


@contextmanager
def bar_progress(total: int, label: str, console: Console) -> Iterator[Callable[[int], None]]:
    """Yield `advance(n)`. The bar appears with the first bars processed, so an error found
    while the run is being set up (a config check against the data) prints on its own."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("bars"),
        TimeElapsedColumn(),
        console=console,
    )
    task: TaskID | None = None

    def advance(n: int) -> None:
        nonlocal task
        if task is None:
            progress.start()
            task = progress.add_task(label, total=total)
        progress.advance(task, n)

    try:
        yield advance
    finally:
        if task is not None:
            progress.stop()
