"""API credentials read from the environment, never shown.

The secret lives only here and inside the ccxt client; `repr` and `str` show a short key hint,
so logging an adapter or its config cannot leak it (the redaction test checks this).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Protocol

from tradeyard.errors import ConfigError

__all__ = ["Credentials", "load_credentials"]


class Credentials:
    """An API key and secret. Read `api_key` / `api_secret` only to hand them to the client."""

    __slots__ = ("api_key", "api_secret")

    def __init__(self, api_key: str, api_secret: str) -> None:
        self.api_key = api_key
        self.api_secret = api_secret

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.api_key[:4]!r}…, api_secret=<redacted>)"

    __str__ = __repr__


class _NamesCredentials(Protocol):
    api_key_env: str
    api_secret_env: str


def load_credentials(
    config: _NamesCredentials, venue: str, env: Mapping[str, str] | None = None
) -> Credentials:
    """The key and secret from the variables the config names; a missing one is an error."""
    env = os.environ if env is None else env
    missing = [n for n in (config.api_key_env, config.api_secret_env) if not env.get(n)]
    if missing:
        raise ConfigError(
            f"environment variable(s) {', '.join(missing)} not set or empty: expected the {venue} "
            "API key and secret; export them, or point api_key_env / api_secret_env elsewhere",
            where=f"venues.{venue.lower()}",
        )
    return Credentials(env[config.api_key_env], env[config.api_secret_env])
