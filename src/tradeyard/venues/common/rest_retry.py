"""REST retries at the ccxt client level: rate limits waited out, clock drift resynced, the rest
raised at once.

`RestRetryMixin` goes before a ccxt (pro) exchange class, or onto a built client with
`with_rest_retry`. It wraps `fetch2`, the one call every REST request goes through (it signs,
so each retry is signed again with a fresh timestamp):

- **Rate limited** (ccxt `RateLimitExceeded` / `DDoSProtection`, HTTP 429 / 418, Binance -1003,
  Bybit 10006, Bybit's HTTP 403 "access too frequent"): wait the venue's `Retry-After` (Bybit:
  until `X-Bapi-Limit-Reset-Timestamp`), else an exponential backoff with full jitter, then
  retry, up to `RetryPolicy.max_attempts` tries in all. A 418 (IP ban) waits its `Retry-After`
  too, unless that exceeds `max_wait_s` (then it is raised: waiting hours inside an order
  call helps nobody). The wait is shared by the client: every request of the client holds back
  until it is over, so a storm is not made worse by the other requests in flight.
- **Timestamp drift** (ccxt `InvalidNonce`, Binance -1021, Bybit 10002): `load_time_difference()`
  (ccxt then signs with the venue's clock: `options['timeDifference']`,
  `adjustForTimeDifference`), and retry once.
- **Everything else** is raised unchanged: bad signature or API key (logged once more here as
  an error naming the key variables, since nothing will work until they are fixed), insufficient
  margin and every other order rejection, network errors (a timed-out order may have reached the
  venue: the caller decides, not a blind retry).

Retrying an order create is safe: rate-limit and timestamp refusals happen before the venue
looks at the order, and the retry carries the same client order id, which the venue refuses as
a duplicate (Binance -4116, Bybit 110072) should the first request have gone through after all.

Each wait is one log line, e.g.
`binanceusdm: rate limited (429) on POST order, retrying in 1.2s (attempt 2/5)`.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tradeyard.venues.common.backoff import Backoff
from tradeyard.venues.common.errors import (
    AUTH_ERRORS,
    CCXT_ERROR,
    DRIFT_ERRORS,
    RATE_LIMIT_ERRORS,
    CodeTable,
)

__all__ = ["RestRetryMixin", "RetryPolicy", "classify", "retry_after_s", "with_rest_retry"]

log = logging.getLogger(__name__)

RATE = "rate_limited"
DRIFT = "timestamp_drift"
AUTH = "auth"
_AUTH_REASONS = ("bad_signature", "invalid_api_key", "permission_denied")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard a client retries: tries in all, backoff without a Retry-After, longest wait."""

    max_attempts: int = 5
    """Tries in all (the first one included) of a rate-limited request."""
    base_s: float = 0.5
    """First backoff ceiling when the venue names no wait."""
    cap_s: float = 30.0
    """Largest backoff ceiling."""
    max_wait_s: float = 300.0
    """A venue-named wait longer than this is not waited out: the error is raised."""
    weight_limit: int = 0
    """The venue's request weight per window and IP, as its `weight_header` counts it (Binance
    USDⓈ-M: 2400 a minute); 0: no budget."""
    weight_window_s: float = 60.0
    """The weight window (Binance: one wall-clock minute)."""
    weight_header: str = "X-MBX-USED-WEIGHT-1M"
    weight_headroom: float = 0.8
    """Once this share of the limit is used, reads (GET) wait for the next window; orders and
    cancels go on, so trading never waits behind a backfill or a poll."""
    read_weight: int = 5
    """Weight counted for a read in flight (Binance's account, trade and order-history reads
    cost 5, most others 1-2)."""


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    low = name.lower()
    for key, value in headers.items():
        if str(key).lower() == low:
            return str(value)
    return None


def retry_after_s(headers: Mapping[str, Any] | None, now: float | None = None) -> float | None:
    """Seconds the venue asks to wait: `Retry-After` (seconds or an HTTP date), else Bybit's
    `X-Bapi-Limit-Reset-Timestamp` (ms); None when it names none."""
    now = time.time() if now is None else now
    raw = _header(headers, "Retry-After")
    if raw is not None:
        try:
            return max(0.0, float(raw))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(raw)
            except (TypeError, ValueError):
                return None
            return max(0.0, when.timestamp() - now)
    reset = _header(headers, "X-Bapi-Limit-Reset-Timestamp")
    if reset is not None:
        try:
            return max(0.0, int(reset) / 1000.0 - now)
        except ValueError:
            return None
    return None


def _code(table: CodeTable | None, text: str) -> int | None:
    if table is None:
        return None
    found = table.code_in_text.search(text)
    return int(found.group(1)) if found else None


def classify(exc: BaseException, table: CodeTable | None = None) -> str | None:
    """RATE, DRIFT, AUTH or None (not retried, nothing special to log) for a ccxt error."""
    status = getattr(exc, "ty_http_status", None)
    code = _code(table, str(exc))
    reason = table.reasons.get(code) if table is not None and code is not None else None
    if reason == RATE or status in (418, 429):
        return RATE
    if isinstance(exc, RATE_LIMIT_ERRORS):
        return RATE
    if status == 403 and "too frequent" in str(exc).lower():
        return RATE  # Bybit's per-IP limit: HTTP 403 "access too frequent"
    if reason == DRIFT or isinstance(exc, DRIFT_ERRORS):
        return DRIFT
    if reason in _AUTH_REASONS or isinstance(exc, AUTH_ERRORS):
        return AUTH
    return None


class RestRetryMixin:
    """Mixed in before a ccxt exchange class: rate-limit waits and clock resync on REST calls.

    Settings are attributes (set them after construction): `rest_retry` (RetryPolicy),
    `error_table` (the venue's CodeTable, to read its codes), `auth_hint` (what to check when
    the key is refused, e.g. the environment variable names), `retry_rng` (tests).
    """

    rest_retry: RetryPolicy = RetryPolicy()
    error_table: CodeTable | None = None
    auth_hint: str = ""
    retry_rng: random.Random | None = None
    rate_limit_waits: int = 0
    """Rate-limit waits so far (for monitoring and tests)."""
    clock_resyncs: int = 0
    """Clock resyncs so far."""
    weight_waits: int = 0
    """Reads held back for the next weight window so far."""
    _ty_blocked_until: float = 0.0
    _ty_weight: tuple[int, int] = (-1, 0)
    """(window number, weight used in it) from the venue's last answer."""
    _ty_weight_warned: int = -1
    _ty_reads: int = 0
    """Reads in flight (counted by the weight budget)."""

    # -- tagging: which HTTP status and headers came with an error ----------------------------
    def handle_errors(
        self,
        code: Any,
        reason: Any,
        url: Any,
        method: Any,
        headers: Any,
        body: Any,
        response: Any,
        request_headers: Any,
        request_body: Any,
    ) -> Any:
        try:
            return super().handle_errors(  # type: ignore[misc]
                code, reason, url, method, headers, body, response, request_headers, request_body
            )
        except CCXT_ERROR as e:
            _tag(e, code, headers)
            raise

    def handle_http_status_code(
        self, code: Any, reason: Any, url: Any, method: Any, body: Any
    ) -> Any:
        try:
            return super().handle_http_status_code(code, reason, url, method, body)  # type: ignore[misc]
        except CCXT_ERROR as e:
            _tag(e, code, getattr(self, "last_response_headers", None))
            raise

    # -- the retry loop -----------------------------------------------------------------------
    async def fetch2(
        self,
        path: Any,
        api: Any = "public",
        method: str = "GET",
        params: Any = None,
        config: Any = None,
    ) -> Any:
        params = {} if params is None else params
        config = {} if config is None else config
        policy = self.rest_retry
        backoff = Backoff(policy.base_s, policy.cap_s, rng=self.retry_rng)
        venue = str(getattr(self, "id", "venue"))
        where = f"{method} {path}"
        attempt, resynced = 1, False
        while True:
            await self._ty_wait_gate()
            try:
                # Re-sending is safe, an order create included: the venue refused the request
                # before looking at it (rate limit, recv window), super().fetch2 signs it again
                # with a fresh timestamp, and the order keeps its client order id, so if the first
                # one went through after all the venue refuses the copy as a duplicate (Binance
                # -4116, Bybit 110072) instead of placing it twice.
                return await self._ty_send(policy, venue, where, path, api, method, params, config)
            except CCXT_ERROR as e:
                kind = classify(e, self.error_table)
                if kind == RATE:
                    label = _rate_label(e, self.error_table)
                    named = retry_after_s(getattr(e, "ty_headers", None))
                    if named is not None and named > policy.max_wait_s:
                        log.error(
                            "%s: rate limited (%s) on %s, the venue asks to wait %.0fs, more "
                            "than the %.0fs the adapter waits; giving up on this request",
                            venue, label, where, named, policy.max_wait_s,
                        )  # fmt: skip
                        raise
                    if attempt >= policy.max_attempts:
                        log.error("%s: rate limited (%s) on %s, giving up after %d attempts",
                                  venue, label, where, attempt)  # fmt: skip
                        raise
                    wait = named if named else backoff.next_delay()
                    self._ty_block(wait)
                    attempt += 1
                    self.rate_limit_waits += 1
                    log.warning("%s: rate limited (%s) on %s, retrying in %.1fs (attempt %d/%d)",
                                venue, label, where, wait, attempt, policy.max_attempts)  # fmt: skip
                    continue
                if kind == DRIFT and not resynced:
                    resynced = True
                    await self._ty_resync(venue, where, e)
                    continue
                if kind == AUTH:
                    log.error("%s: the venue refused the API credentials on %s: %s%s; not retried",
                              venue, where, _auth_cause(e, self.error_table),
                              _hint(self.auth_hint))  # fmt: skip
                raise

    async def _ty_resync(self, venue: str, where: str, error: BaseException) -> None:
        log.warning("%s: timestamp outside the venue's recv window on %s (%s); resyncing the "
                    "clock and retrying once", venue, where, _short(error))  # fmt: skip
        options = self.options  # type: ignore[attr-defined]
        options["adjustForTimeDifference"] = True
        try:
            offset = await self.load_time_difference()  # type: ignore[attr-defined]
        except CCXT_ERROR as e:
            log.warning("%s: clock resync failed (%s); retrying with the old offset", venue, e)
            return
        self.clock_resyncs += 1
        log.info("%s: clock resynced, local clock is %d ms ahead of the venue's", venue, offset)

    async def _ty_send(
        self,
        policy: RetryPolicy,
        venue: str,
        where: str,
        path: Any,
        api: Any,
        method: str,
        params: Any,
        config: Any,
    ) -> Any:
        """One try; a read (GET) first waits for room in the weight budget, if there is one."""
        if not policy.weight_limit:
            return await super().fetch2(path, api, method, params, config)  # type: ignore[misc]
        read = method == "GET"
        if read:
            await self._ty_weight_gate(policy, venue, where)
            self._ty_reads += 1
        try:
            return await super().fetch2(path, api, method, params, config)  # type: ignore[misc]
        finally:
            if read:
                self._ty_reads -= 1
            self._ty_note_weight(policy)

    def _ty_note_weight(self, policy: RetryPolicy) -> None:
        """Keep the weight the venue says this IP has used in the current window."""
        raw = _header(getattr(self, "last_response_headers", None), policy.weight_header)
        if raw is None:
            return
        try:
            used = int(raw)
        except ValueError:
            return
        self._ty_weight = (int(time.time() // policy.weight_window_s), used)

    async def _ty_weight_gate(self, policy: RetryPolicy, venue: str, where: str) -> None:
        """Hold a read until the next window while the weight used in this one, plus the reads
        in flight (`read_weight` each: their cost is not known until they answer), would pass
        `weight_headroom` of the limit: a 429, then a 418 IP ban, would stop the orders too."""
        span = policy.weight_window_s
        while True:
            window, used = self._ty_weight
            now = time.time()
            current = int(now // span)
            if window != current:
                used = 0  # a new window: the count starts over
            projected = used + (self._ty_reads + 1) * policy.read_weight
            if projected <= policy.weight_headroom * policy.weight_limit:
                return
            wait = (current + 1) * span - now + 0.05
            self.weight_waits += 1
            if self._ty_weight_warned != current:
                self._ty_weight_warned = current
                log.warning(
                    "%s: %d of %d request weight used this window (%d reads in flight); reads "
                    "(%s) wait %.1fs for the next one, orders go on", venue, used,
                    policy.weight_limit, self._ty_reads, where, wait,
                )  # fmt: skip
            await asyncio.sleep(wait)

    async def _ty_wait_gate(self) -> None:
        delay = self._ty_blocked_until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def _ty_block(self, seconds: float) -> None:
        self._ty_blocked_until = max(self._ty_blocked_until, time.monotonic() + seconds)


_CLASSES: dict[type, type] = {}


def with_rest_retry(
    client: Any,
    *,
    policy: RetryPolicy | None = None,
    error_table: CodeTable | None = None,
    auth_hint: str = "",
    extra: tuple[type, ...] = (),
) -> Any:
    """Give an already built ccxt client the retry behaviour (and the `extra` mixins) in place,
    by switching it to a subclass with the mixins first; then set its settings. Returns it."""
    cls = type(client)
    if not isinstance(client, RestRetryMixin) or any(not isinstance(client, m) for m in extra):
        bases = tuple(m for m in (*extra, RestRetryMixin) if not isinstance(client, m))
        key = (cls, *bases)
        sub = _CLASSES.get(key)  # type: ignore[call-overload]
        if sub is None:
            sub = type(f"Resilient{cls.__name__}", (*bases, cls), {"__module__": __name__})
            _CLASSES[key] = sub  # type: ignore[index]
        client.__class__ = sub
    if policy is not None:
        client.rest_retry = policy
    if error_table is not None:
        client.error_table = error_table
    if auth_hint:
        client.auth_hint = auth_hint
    return client


def _tag(e: BaseException, status: Any, headers: Any) -> None:
    if getattr(e, "ty_http_status", None) is None:
        e.ty_http_status = status  # type: ignore[attr-defined]
        e.ty_headers = headers  # type: ignore[attr-defined]


def _rate_label(e: BaseException, table: CodeTable | None) -> str:
    status = getattr(e, "ty_http_status", None)
    code = _code(table, str(e))
    if status == 418:
        return "418 IP ban"
    if status in (403, 429):
        return str(status) if code is None else f"{status}, code {code}"
    if code is not None:
        return str(code)
    return type(e).__name__


def _auth_cause(e: BaseException, table: CodeTable | None) -> str:
    """'bad signature (-1022 Signature for this request is not valid.)', else the error."""
    text = str(e)
    found = table.code_in_text.search(text) if table is not None else None
    if table is None or found is None:
        return _short(e)
    code = int(found.group(1))
    tag = table.reasons.get(code, "credentials refused").replace("_", " ")
    return f"{tag} ({code} {found.group(2) or table.message_of(text, found)})"


def _short(e: BaseException, limit: int = 200) -> str:
    text = f"{type(e).__name__}: {e}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _hint(hint: str) -> str:
    return f"; {hint}" if hint else ""
