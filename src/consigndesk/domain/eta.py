"""How long until a human answers: a multi-server priority-queue model (pure, no I/O).

A group's online agents offer *slots* (their capacity). A ticket holds a slot from assignment
until it is released (solved, or taken back), `handle_seconds` on average; the agent's first
reply comes `response_seconds` after assignment. A waiting ticket with `k` tickets ahead and `f`
free slots needs `k - f + 1` slot releases before it is assigned. With every slot busy, slots
free up at `slots / handle_seconds` per second (the M/M/c departure rate), less the rate at
which more urgent tickets arrive and overtake it. So

    wait = max(k - f + 1, 0) / (slots / handle_seconds - overtake_rate) + response_seconds.

This is the queue-state-conditional wait of an M/M/c queue; `erlang_c_wait` is the same model's
steady-state average for a ticket whose place in the queue is unknown (kept for capacity
planning and as the baseline the bench compares against).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from consigndesk.domain.routing import priority_rank

# However fast urgent tickets arrive, a ticket still moves: at least this share of releases.
MIN_SERVICE_SHARE = 0.1


@dataclass(frozen=True, kw_only=True)
class EtaConfig:
    """Defaults for when a group has no history, and the bounds of an estimate."""

    default_response_seconds: float = 600.0  # assignment → first agent reply (10 minutes)
    default_handle_seconds: float = 1800.0  # assignment → the ticket frees its slot
    min_samples: int = 5  # fewer measured tickets than this: use the defaults
    offline_wait_seconds: float = 3600.0  # nobody online: assumed time until someone is
    offline_slots: int = 10  # … and the capacity they are assumed to bring
    max_seconds: int = 7 * 24 * 3600


@dataclass(frozen=True, kw_only=True)
class GroupLoad:
    """What the model needs to know about one group right now."""

    slots: int  # total capacity of the online agents who may work in the group
    free_slots: int  # of those, how many are unused
    response_seconds: float  # typical assignment → first reply
    handle_seconds: float  # typical time a ticket holds a slot


def typical_seconds(samples: Iterable[float], default: float, min_samples: int = 5) -> float:
    """The median of measured durations, or `default` when there are too few to trust."""
    clean = [s for s in samples if s >= 0]
    if len(clean) < max(min_samples, 1):
        return default
    return float(statistics.median(clean))


def overtake_rate(priority: str, arrivals_per_second: Mapping[str, float]) -> float:
    """Arrivals per second of tickets more urgent than `priority` (they will queue ahead)."""
    rank = priority_rank(priority)
    return sum(rate for p, rate in arrivals_per_second.items() if priority_rank(p) < rank)


def wait_for_slot(position: int, load: GroupLoad, overtaking: float = 0.0) -> float:
    """Seconds until a ticket with `position` tickets ahead of it is assigned."""
    if position < load.free_slots:
        return 0.0
    if load.slots <= 0:
        return math.inf
    releases = position - max(load.free_slots, 0) + 1
    service_rate = load.slots / max(load.handle_seconds, 1.0)
    effective = max(service_rate - overtaking, service_rate * MIN_SERVICE_SHARE)
    return releases / effective


def first_response_eta(
    position: int, load: GroupLoad, config: EtaConfig, overtaking: float = 0.0
) -> int:
    """Predicted seconds from now until the first human reply to a waiting ticket."""
    if load.slots <= 0:
        assumed = GroupLoad(
            slots=config.offline_slots,
            free_slots=config.offline_slots,
            response_seconds=load.response_seconds,
            handle_seconds=load.handle_seconds,
        )
        seconds = config.offline_wait_seconds + wait_for_slot(position, assumed, overtaking)
    else:
        seconds = wait_for_slot(position, load, overtaking)
    seconds += load.response_seconds
    return round(min(seconds, float(config.max_seconds)))


def queue_etas(
    queue: Sequence[tuple[int, str]],
    load: GroupLoad,
    config: EtaConfig,
    arrivals_per_second: Mapping[str, float] | None = None,
    first_position: int = 0,
) -> dict[int, int]:
    """ETAs (seconds from now) for one group's waiting tickets, given `(ticket_id, priority)`
    in queue order, the first of them `first_position` tickets from the queue's head."""
    rates = arrivals_per_second or {}
    overtaking = {p: overtake_rate(p, rates) for p in {priority for _, priority in queue}}
    return {
        ticket_id: first_response_eta(position, load, config, overtaking[priority])
        for position, (ticket_id, priority) in enumerate(queue, first_position)
    }


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival has to wait in an M/M/c queue (Erlang C).

    `offered_load` is arrival rate × mean service time, in Erlangs. An overloaded system
    (load ≥ servers) always makes arrivals wait.
    """
    if servers <= 0 or offered_load >= servers:
        return 1.0
    if offered_load <= 0:
        return 0.0
    erlang_b = 1.0
    for k in range(1, servers + 1):
        erlang_b = offered_load * erlang_b / (k + offered_load * erlang_b)
    return servers * erlang_b / (servers - offered_load * (1.0 - erlang_b))


def erlang_c_wait(arrival_rate: float, service_seconds: float, servers: int) -> float:
    """Mean wait in the queue of an M/M/c system in steady state (infinite when overloaded)."""
    offered = arrival_rate * service_seconds
    if servers <= 0 or offered >= servers:
        return math.inf
    return erlang_c(servers, offered) * service_seconds / (servers - offered)


def moved_etas(
    new: Mapping[int, int],
    stored: Mapping[int, int | None],
    tolerance: int,
    *,
    still_ahead: Mapping[int, int] | None = None,
    share: float = 0.0,
) -> dict[int, int]:
    """The ETAs worth writing: unset before, or moved by more than `tolerance` seconds, or by
    more than `share` of the wait `still_ahead` (seconds from now) when that is more. The
    refresher runs every few seconds; only moves a customer could notice are written, and a
    reply expected in five hours that moves by three minutes is not one."""
    ahead = still_ahead or {}
    return {
        ticket_id: seconds
        for ticket_id, seconds in new.items()
        if (before := stored.get(ticket_id)) is None
        or abs(before - seconds) > max(tolerance, share * ahead.get(ticket_id, 0))
    }
