"""The fakes' silence fault (`Faults.ws_silent`, `WsClient.silenced`): settable over the admin
JSON, refused when malformed, and nothing is queued while it holds."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tradeyard.errors import ConfigError
from tradeyard.venues.fakes.common.faults import Faults
from tradeyard.venues.fakes.common.wshub import WsClient, WsHub


def test_faults_update_when_ws_silent_given_sets_snapshots_and_clears() -> None:
    faults = Faults()
    faults.update({"ws_silent": True})
    assert faults.ws_silent and faults.snapshot()["ws_silent"] is True
    faults.clear()
    assert faults.ws_silent is False


def test_faults_update_when_ws_silent_not_a_bool_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError, match="ws_silent"):
        Faults().update({"ws_silent": "yes"})


def _client(faults: Faults) -> WsClient:
    request: Any = SimpleNamespace(transport=None)
    return WsClient(SimpleNamespace(closed=False), request, "market", faults)  # type: ignore[arg-type]


def test_ws_client_when_silent_queues_nothing_until_the_fault_is_lifted() -> None:
    faults = Faults()
    client = _client(faults)
    faults.ws_silent = True
    client.send_text("lost", faults=False)
    assert client._queue.qsize() == 0
    faults.ws_silent = False
    client.send_text("delivered")
    assert client._queue.qsize() == 1


def test_ws_hub_silence_when_called_silences_only_the_connections_open_now() -> None:
    faults = Faults()
    hub = WsHub(faults)
    old = _client(faults)
    hub.add(old)
    assert hub.silence() == 1
    new = _client(faults)
    hub.add(new)
    old.send_text("lost")
    new.send_text("delivered")
    assert (old._queue.qsize(), new._queue.qsize()) == (0, 1)
