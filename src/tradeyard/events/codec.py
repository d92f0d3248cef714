"""Encode and decode events as msgpack (compact, for transports) or JSON (journal, gateway).

Encoders and decoders are built once and reused (msgspec's advice for speed). A payload that is
not a valid event raises EventDecodeError naming the field, e.g. `Expected float, got str - at $.close`.
"""

from __future__ import annotations

import msgspec

from tradeyard.errors import EventDecodeError
from tradeyard.events._events import AnyEvent, Event

__all__ = ["decode_json", "decode_msgpack", "encode_json", "encode_msgpack"]

_json_encoder = msgspec.json.Encoder()
_json_decoder = msgspec.json.Decoder(AnyEvent)
_mp_encoder = msgspec.msgpack.Encoder()
_mp_decoder = msgspec.msgpack.Decoder(AnyEvent)


def encode_json(event: Event) -> bytes:
    return _json_encoder.encode(event)


def encode_msgpack(event: Event) -> bytes:
    return _mp_encoder.encode(event)


def decode_json(payload: bytes | str) -> Event:
    try:
        return _json_decoder.decode(payload)
    except msgspec.DecodeError as e:  # ValidationError is a subclass
        raise EventDecodeError(f"malformed event (JSON): {e}") from e


def decode_msgpack(payload: bytes) -> Event:
    try:
        return _mp_decoder.decode(payload)
    except msgspec.DecodeError as e:
        raise EventDecodeError(f"malformed event (msgpack): {e}") from e
