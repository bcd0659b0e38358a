"""Flood control: token buckets per connection and per customer (shared by their connections)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`rate` tokens a second up to `burst`; each action takes one."""

    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)
        self.stamp = self.clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self) -> bool:
        self._refill()
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def retry_after(self) -> float:
        """Seconds until one token is back (for the client's `rate_limited` error)."""
        self._refill()
        return 0.0 if self.tokens >= 1.0 else round((1.0 - self.tokens) / self.rate, 2)

    def idle(self) -> bool:
        self._refill()
        return self.tokens >= self.burst


@dataclass
class CustomerBuckets:
    """One bucket per customer in this process; full (idle) buckets are dropped when it grows."""

    rate: float
    burst: int
    limit: int = 50_000
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def for_customer(self, external_id: str) -> TokenBucket:
        bucket = self._buckets.get(external_id)
        if bucket is None:
            if len(self._buckets) >= self.limit:
                self._buckets = {k: b for k, b in self._buckets.items() if not b.idle()}
            bucket = self._buckets[external_id] = TokenBucket(self.rate, self.burst, self.clock)
        return bucket
