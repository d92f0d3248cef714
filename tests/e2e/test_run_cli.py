"""`tradeyard run` as a command: bad configs are one `error:` line and exit 2; `--for` runs a
paper node against a fake replaying in the background, then stops cleanly and reports."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tradeyard.cli.run import run_command
from tradeyard.errors import ConfigError
from tradeyard.marketdata import bundled_bars_dir, load_bars
from tradeyard.runtime import load_run_config
from tradeyard.venues.fakes.binance import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FakeBinance,
    FakeBinanceConfig,
)

app = typer.Typer()
app.command("run")(run_command)


@app.command()
def noop() -> None:
    """(keeps `run` a subcommand, as in the real app)"""


def _config(rest: str, ws: str, extra: str = "", key_env: str = "TY_CLI_KEY") -> str:
    return f"""{extra}
[shutdown]
positions = "flatten"
timeout_s = 5

[[venues]]
name = "binance"
kind = "binanceusdm"
environment = "local"
rest_url = "{rest}"
ws_url = "{ws}"
api_key_env = "{key_env}"
api_secret_env = "TY_CLI_SECRET"
symbols = ["ETHUSDT"]
warmup_bars = 10
rate_limit = false

[[venues]]
name = "paper"
kind = "paper"
data = "binance"

[[strategies]]
id = "x"
strategy = "sma_cross"
params = {{ fast = 2, slow = 5 }}

[[traders]]
id = "p1"
venue = "paper"
follows = {{ x = 1.0 }}
"""


def test_run_cli_missing_key_variable_is_one_error_line_exit_2(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("TY_CLI_KEY", raising=False)
    monkeypatch.setenv("TY_CLI_SECRET", "s")
    path = tmp_path / "run.toml"
    path.write_text(_config("http://127.0.0.1:9", "ws://127.0.0.1:9/ws"))
    result = CliRunner().invoke(app, ["run", str(path), "--for", "1"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: venues[0].api_key_env")
    assert "TY_CLI_KEY" in lines[0]


@pytest.mark.parametrize(
    ("edit", "where", "words"),
    [
        (('venue = "paper"', 'venue = "kraken"'), "traders[0].venue", "unknown venue 'kraken'"),
        (('data = "binance"', 'data = "nope"'), "venues[1].data", "unknown venue 'nope'"),
        (('kind = "binanceusdm"', 'kind = "ftx"'), "run.toml", "at venues[0].kind"),
        (("fast = 2", "fast = 9"), "strategies[0]", "fast (9) must be less than slow"),
    ],
)
def test_run_config_errors_name_the_key_path(tmp_path, monkeypatch, edit, where, words) -> None:
    monkeypatch.setenv("TY_CLI_KEY", "k")
    monkeypatch.setenv("TY_CLI_SECRET", "s")
    path = tmp_path / "run.toml"
    path.write_text(_config("http://127.0.0.1:9", "ws://127.0.0.1:9/ws").replace(*edit, 1))
    with pytest.raises(ConfigError) as err:
        load_run_config(path)
    assert str(err.value).startswith(where) and words in str(err.value)


def test_run_config_secrets_file_supplies_keys_and_never_shows_them(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("TY_CLI_KEY", raising=False)
    monkeypatch.delenv("TY_CLI_SECRET", raising=False)
    (tmp_path / "keys.env").write_text(
        '# local fake\nexport TY_CLI_KEY="sekrit-key"\nTY_CLI_SECRET = sekrit-secret\n'
    )
    path = tmp_path / "run.toml"
    text = _config("http://127.0.0.1:9", "ws://127.0.0.1:9/ws", extra='secrets_file = "keys.env"')
    path.write_text(text)
    cfg, env = load_run_config(path, environ={})
    assert env["TY_CLI_KEY"] == "sekrit-key" and env["TY_CLI_SECRET"] == "sekrit-secret"
    assert "sekrit" not in repr(cfg)
    (tmp_path / "keys.env").write_text("TY_CLI_KEY sekrit-key\n")
    with pytest.raises(ConfigError) as err:
        load_run_config(path, environ={})
    assert "line 1" in str(err.value) and "sekrit" not in str(err.value)
    path.write_text(text.replace("keys.env", "run.toml"))
    with pytest.raises(ConfigError, match="cannot be the config itself"):
        load_run_config(path, environ={})


@pytest.fixture
def replaying_fake() -> Iterator[FakeBinance]:
    """A fake replaying 1m bars at 120x (one every 0.5 s) on its own thread's event loop."""
    bars = load_bars(bundled_bars_dir(), ["ETHUSDT"])
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = FakeBinance(FakeBinanceConfig(speed=120, substeps=2, warmup_bars=100), bars)
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_run_cli_for_seconds_runs_paper_then_stops_and_reports(
    replaying_fake, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("TY_CLI_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("TY_CLI_SECRET", DEFAULT_API_SECRET)
    path: Path = tmp_path / "run.toml"
    path.write_text(_config(replaying_fake.rest_url, replaying_fake.ws_url))
    result = CliRunner().invoke(app, ["run", str(path), "--for", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "stopped" in result.output
    assert DEFAULT_API_SECRET not in result.output and DEFAULT_API_KEY not in result.output


def test_run_status_line_shows_counters_and_positions() -> None:
    from tradeyard.cli.run import status_line

    line = status_line(
        {"warm": True, "bars": 31, "signals": 5, "orders": 2, "fills": 1, "rejections": 0,
         "skipped": 3, "last_bar_ms": 1_747_000_000_000,
         "positions": {"t1": {"ETHUSDT": 0.2}, "t2": {}}}
    )  # fmt: skip
    assert line.startswith("live | last bar 2025-05-11 21:46")
    assert "bars 31 signals 5 orders 2 fills 1 rejected 0 not traded 3" in line
    assert "t1: ETHUSDT +0.2; t2: flat" in line


_APP = """
import typer
from tradeyard.cli.run import run_command
app = typer.Typer()
app.command("run")(run_command)
app.command("noop")(lambda: None)
app()
"""


def test_run_cli_sigterm_stops_cleanly_and_reports(replaying_fake, tmp_path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "run.toml"
    path.write_text(_config(replaying_fake.rest_url, replaying_fake.ws_url))
    env = {**os.environ, "TY_CLI_KEY": DEFAULT_API_KEY, "TY_CLI_SECRET": DEFAULT_API_SECRET}
    proc = subprocess.Popen(
        [sys.executable, "-c", _APP, "run", str(path), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        # running: its market stream is subscribed on the fake (after start-up and warm-up)
        while "ethusdt@kline_1m" not in replaying_fake.hub.subscribed():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the node did not start"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert DEFAULT_API_SECRET not in out + err


@pytest.mark.parametrize("name", ["live_binance_local.toml", "paper_binance_local.toml"])
def test_run_example_configs_are_valid(name, monkeypatch) -> None:
    monkeypatch.setenv("BINANCE_API_KEY", "k")
    monkeypatch.setenv("BINANCE_API_SECRET", "s")
    examples = Path(__file__).resolve().parents[2] / "examples"
    cfg, _env = load_run_config(examples / name)
    assert cfg.venues[0].rest_url == "http://127.0.0.1:9100"
