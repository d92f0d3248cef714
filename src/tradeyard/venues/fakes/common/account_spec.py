"""An account a fake exchange serves: one API key pair and the USDT it starts with."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["AccountSpec", "key_hint"]


class AccountSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One API key pair and the USDT its futures account starts with."""

    api_key: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9]{1,128}$")]
    api_secret: Annotated[str, msgspec.Meta(min_length=1)]
    balance: Annotated[float, msgspec.Meta(gt=0.0)] = 10_000.0

    def __repr__(self) -> str:  # never show the secret
        return f"AccountSpec(api_key={self.api_key[:6]!r}…, balance={self.balance!r})"


def key_hint(api_key: str) -> str:
    """What may be logged of a key."""
    return f"{api_key[:6]}…" if api_key else "<none>"
