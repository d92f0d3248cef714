"""Bybit API credentials: the shared loader (venues/common/credentials.py) with this venue's name."""

from __future__ import annotations

from collections.abc import Mapping

from tradeyard.venues.bybit.config import BybitConfig
from tradeyard.venues.common.credentials import Credentials
from tradeyard.venues.common.credentials import load_credentials as _load

__all__ = ["Credentials", "load_credentials"]


def load_credentials(config: BybitConfig, env: Mapping[str, str] | None = None) -> Credentials:
    """The key and secret from the environment variables `config` names."""
    return _load(config, "Bybit", env)
