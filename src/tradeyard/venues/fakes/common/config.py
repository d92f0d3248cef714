"""What the fakes' config structs share: the bound types and the account checks.

`FakeConfigBase` has no fields, so each venue's struct keeps its own field order and defaults
(which differ: default keys, leverage, fees); it adds `secrets()` and the duplicate-key check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import msgspec

if TYPE_CHECKING:
    from tradeyard.venues.fakes.common.account_spec import AccountSpec

__all__ = ["FakeConfigBase", "NonNeg", "Pos", "PosInt"]

Pos = Annotated[float, msgspec.Meta(gt=0.0)]
NonNeg = Annotated[float, msgspec.Meta(ge=0.0)]
PosInt = Annotated[int, msgspec.Meta(ge=1)]


class FakeConfigBase(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Base of a fake's config: no fields of its own."""

    if TYPE_CHECKING:
        accounts: list[AccountSpec]

    def secrets(self) -> dict[str, str]:
        return {a.api_key: a.api_secret for a in self.accounts}

    def __post_init__(self) -> None:
        keys = [a.api_key for a in self.accounts]
        if len(set(keys)) != len(keys):
            raise ValueError("accounts: an API key is listed twice; give each account its own key")
