"""A simulated day through the real routing and ETA code: predicted vs actual first-response waits.

Run: .venv/bin/python bench/eta.py [--seed N] [--scale X]

Pure and in memory (no database): tickets arrive with a morning and an evening peak and a
P1-P4 mix, agents work shifts and take breaks (leaving hands their unanswered tickets back),
and each ticket's reply delay and slot-holding time are drawn from log-normal distributions.
Routing decisions are `consigndesk.domain.routing.plan` (the function the services call),
predictions are `consigndesk.domain.eta.first_response_eta` fed the same measurements the
service takes from the database (median reply and holding times of the group's recent tickets,
the last hour's arrivals by priority, online capacity). The same day is then replayed with plain
FIFO queues to compare P1 waits. Reported: MAE of the ETA given at arrival against the actual
wait, MAE / mean wait, two baselines (Erlang C steady state; the 10-minute default), and mean
waits by priority under priority routing vs FIFO.
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import statistics
import sys
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from consigndesk.domain import eta as eta_model
from consigndesk.domain import routing

DAY = 24 * 3600
MIDNIGHT = datetime(2026, 11, 20, tzinfo=UTC)
GROUPS = {"logistics": 0.45, "after_sales": 0.35, "finance": 0.20}
IN_HOUSE_ONLY = frozenset({"finance"})
PRIORITIES = {"P1": 0.05, "P2": 0.15, "P3": 0.55, "P4": 0.25}
VIP_SHARE = 0.05
CONFIG = eta_model.EtaConfig()
HISTORY = 200  # recent tickets per group the measurements use, as the service does
WINDOW = 3600.0  # arrival-rate window, as the service does


def hours(h: float) -> float:
    return h * 3600.0


@dataclass(frozen=True)
class Arrival:
    ticket_id: int
    at: float
    group: str
    priority: str
    vip: bool
    reply_after: float  # agent's first reply, seconds after assignment
    hold: float  # seconds the ticket holds the agent's slot after assignment (≥ reply_after)


@dataclass
class AgentSpec:
    agent_id: int
    groups: frozenset[str]
    capacity: int
    outsourced: bool
    vip: bool
    shifts: list[tuple[float, float]]  # (online, offline) seconds from midnight


def make_day(rng: random.Random, scale: float) -> list[Arrival]:
    """Non-homogeneous Poisson arrivals (thinning): a base rate, a 10:00 and a 20:30 peak."""

    def rate_per_hour(t: float) -> float:
        h = t / 3600.0
        morning = 55 * math.exp(-(((h - 10.0) / 1.5) ** 2))
        evening = 65 * math.exp(-(((h - 20.5) / 1.3) ** 2))
        night = 2.0 if h < 7 or h > 23 else 12.0
        return scale * (night + morning + evening)

    peak = max(rate_per_hour(s * 60.0) for s in range(24 * 60)) / 3600.0
    out: list[Arrival] = []
    t = 0.0
    while True:
        t += rng.expovariate(peak)
        if t >= DAY:
            return out
        if rng.random() * peak > rate_per_hour(t) / 3600.0:
            continue
        reply = rng.lognormvariate(math.log(180.0), 0.6)  # median 3 min
        work = rng.lognormvariate(math.log(900.0), 0.7)  # median 15 min more until solved
        out.append(
            Arrival(
                ticket_id=len(out) + 1,
                at=t,
                group=rng.choices(list(GROUPS), weights=list(GROUPS.values()))[0],
                priority=rng.choices(list(PRIORITIES), weights=list(PRIORITIES.values()))[0],
                vip=rng.random() < VIP_SHARE,
                reply_after=reply,
                hold=reply + work,
            )
        )


def make_staff(rng: random.Random) -> list[AgentSpec]:
    """Night, early, day and late shifts; in-house and outsourced; a break or two each."""
    everything = frozenset(GROUPS)
    front = frozenset({"logistics", "after_sales"})
    plan = [
        # (how many, groups, outsourced, vip, shift start h, shift end h)
        (2, everything, False, False, -1.0, 8.5),
        (3, everything, False, True, 8.0, 16.5),
        (4, front, True, False, 8.5, 17.0),
        (2, frozenset({"finance"}), False, False, 9.0, 18.0),
        (3, everything, False, False, 14.0, 22.5),
        (4, front, True, False, 17.0, 23.5),
        (1, frozenset({"finance"}), False, True, 17.5, 23.0),
        (2, everything, False, False, 22.0, 32.0),
    ]
    staff: list[AgentSpec] = []
    for count, groups, outsourced, vip, start, end in plan:
        for _ in range(count):
            begin = hours(start) + rng.uniform(-600, 600)
            finish = hours(end) + rng.uniform(-600, 600)
            shifts = [(begin, finish)]
            if end - start > 6:  # a break somewhere in the middle of a long shift
                pause = rng.uniform(begin + hours(2.5), finish - hours(2.5))
                shifts = [(begin, pause), (pause + rng.uniform(900, 2700), finish)]
            staff.append(
                AgentSpec(
                    agent_id=len(staff) + 1,
                    groups=groups,
                    capacity=3,
                    outsourced=outsourced,
                    vip=vip,
                    shifts=shifts,
                )
            )
    return staff


@dataclass
class Outcome:
    predicted: dict[int, float] = field(default_factory=dict)
    erlang: dict[int, float] = field(default_factory=dict)
    waited: dict[int, float] = field(default_factory=dict)
    handed_back: int = 0
    departures: int = 0


def simulate(
    arrivals: list[Arrival], staff: list[AgentSpec], key: routing.QueueKey, predict: bool
) -> Outcome:
    """Run one day; `key` orders the queues (ours: P1 first then oldest; or FIFO)."""
    by_id = {a.ticket_id: a for a in arrivals}
    online = {s.agent_id: False for s in staff}
    held: dict[int, set[int]] = {s.agent_id: set() for s in staff}
    last_assigned: dict[int, datetime | None] = {s.agent_id: None for s in staff}
    answered: set[int] = set()
    waiting: dict[int, routing.Waiting] = {}
    token: dict[int, int] = {}  # ticket → assignment counter (stale events are ignored)
    assigned_at: dict[int, float] = {}
    replies: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=HISTORY))
    holds: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=HISTORY))
    recent: dict[str, deque[tuple[float, str]]] = defaultdict(deque)
    out = Outcome()
    events: list[tuple[float, int, str, int, int]] = []
    seq = 0

    def push(at: float, kind: str, subject: int, tok: int = 0) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (at, seq, kind, subject, tok))

    for a in arrivals:
        push(a.at, "arrive", a.ticket_id)
    for s in staff:
        for on, off in s.shifts:
            push(on, "online", s.agent_id)
            push(off, "offline", s.agent_id)

    def candidates() -> list[routing.Candidate]:
        return [
            routing.Candidate(
                agent_id=s.agent_id,
                groups=s.groups,
                capacity=s.capacity,
                load=len(held[s.agent_id]),
                online=online[s.agent_id],
                outsourced=s.outsourced,
                vip=s.vip,
                last_assigned_at=last_assigned[s.agent_id],
            )
            for s in staff
        ]

    def dispatch(now: float) -> None:
        stamp = MIDNIGHT + timedelta(seconds=now)
        for a in routing.plan(waiting.values(), candidates(), IN_HOUSE_ONLY, stamp, key):
            ticket = by_id[a.ticket_id]
            del waiting[a.ticket_id]
            held[a.agent_id].add(a.ticket_id)
            last_assigned[a.agent_id] = stamp
            token[a.ticket_id] = token.get(a.ticket_id, 0) + 1
            assigned_at[a.ticket_id] = now
            push(now + ticket.reply_after, "reply", a.ticket_id, token[a.ticket_id])
            push(now + ticket.hold, "release", a.ticket_id, token[a.ticket_id])

    def holder(ticket_id: int) -> int:
        return next(agent for agent, mine in held.items() if ticket_id in mine)

    def predict_for(ticket: Arrival, now: float) -> None:
        slots, free = routing.group_slots(ticket.group, candidates(), ticket.group in IN_HOUSE_ONLY)
        load = eta_model.GroupLoad(
            slots=slots,
            free_slots=free,
            response_seconds=eta_model.typical_seconds(
                replies[ticket.group], CONFIG.default_response_seconds, CONFIG.min_samples
            ),
            handle_seconds=eta_model.typical_seconds(
                holds[ticket.group], CONFIG.default_handle_seconds, CONFIG.min_samples
            ),
        )
        window = recent[ticket.group]
        while window and window[0][0] < now - WINDOW:
            window.popleft()
        counts: dict[str, int] = defaultdict(int)
        for _, priority in window:
            counts[priority] += 1
        rates = {p: n / WINDOW for p, n in counts.items()}
        if ticket.ticket_id in waiting:
            mine = waiting[ticket.ticket_id]
            position = routing.position_in_queue(mine, waiting.values(), key)
            seconds = eta_model.first_response_eta(
                position, load, CONFIG, eta_model.overtake_rate(ticket.priority, rates)
            )
        else:
            seconds = round(load.response_seconds)
        out.predicted[ticket.ticket_id] = seconds
        arrival_rate = sum(rates.values())
        steady = eta_model.erlang_c_wait(arrival_rate, load.handle_seconds, max(slots, 1))
        out.erlang[ticket.ticket_id] = min(
            load.response_seconds + (steady if math.isfinite(steady) else CONFIG.max_seconds),
            CONFIG.max_seconds,
        )

    while events:
        now, _, kind, subject, tok = heapq.heappop(events)
        if kind == "arrive":
            ticket = by_id[subject]
            recent[ticket.group].append((now, ticket.priority))
            waiting[subject] = routing.Waiting(
                ticket_id=subject,
                group=ticket.group,
                priority=ticket.priority,
                created_at=MIDNIGHT + timedelta(seconds=now),
                vip=ticket.vip,
            )
            dispatch(now)
            if predict:
                predict_for(ticket, now)
        elif kind == "reply":
            if token.get(subject) != tok or subject in answered:
                continue
            answered.add(subject)
            out.waited[subject] = now - by_id[subject].at
            replies[by_id[subject].group].append(now - assigned_at[subject])
        elif kind == "release":
            if token.get(subject) != tok:
                continue
            held[holder(subject)].discard(subject)
            holds[by_id[subject].group].append(now - assigned_at[subject])
            dispatch(now)
        elif kind == "online":
            online[subject] = True
            dispatch(now)
        elif kind == "offline":
            online[subject] = False
            out.departures += 1
            mine = [
                routing.Held(
                    ticket_id=t,
                    status="open",
                    first_response_at=MIDNIGHT if t in answered else None,
                )
                for t in held[subject]
            ]
            for ticket_id in routing.returns_to_queue(mine):
                ticket = by_id[ticket_id]
                held[subject].discard(ticket_id)
                token[ticket_id] += 1  # its pending reply/release events are void now
                waiting[ticket_id] = routing.Waiting(
                    ticket_id=ticket_id,
                    group=ticket.group,
                    priority=ticket.priority,
                    created_at=MIDNIGHT + timedelta(seconds=ticket.at),
                    vip=ticket.vip,
                )
                out.handed_back += 1
            dispatch(now)
    return out


def mae(predicted: dict[int, float], actual: dict[int, float]) -> float:
    return statistics.fmean(abs(predicted[t] - actual[t]) for t in actual)


def mean_wait(outcome: Outcome, arrivals: list[Arrival], priority: str | None = None) -> float:
    waits = [
        outcome.waited[a.ticket_id]
        for a in arrivals
        if a.ticket_id in outcome.waited and (priority is None or a.priority == priority)
    ]
    return statistics.fmean(waits) if waits else float("nan")


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply arrival rates")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rng = random.Random(args.seed)
    arrivals = make_day(rng, args.scale)
    staff = make_staff(rng)
    ours = simulate(arrivals, staff, routing.queue_key, predict=True)
    fifo = simulate(arrivals, staff, routing.fifo_key, predict=False)
    actual = ours.waited
    missing = len(arrivals) - len(actual)
    mean = statistics.fmean(actual.values())
    ordered_waits = sorted(actual.values())
    p90 = ordered_waits[int(0.9 * (len(ordered_waits) - 1))]
    constant = {t: CONFIG.default_response_seconds for t in actual}
    mix = {p: sum(1 for a in arrivals if a.priority == p) for p in PRIORITIES}
    print("ConsignDesk ETA bench: one simulated day through domain.routing + domain.eta")
    print(
        f"  tickets {len(arrivals)} ({', '.join(f'{p} {n}' for p, n in mix.items())}); "
        f"agents {len(staff)}, {ours.departures} departures (shift ends and breaks), "
        f"{ours.handed_back} unanswered tickets handed back and re-routed"
    )
    print(
        f"  actual first-response wait: mean {minutes(mean)}, median "
        f"{minutes(statistics.median(ordered_waits))}, p90 {minutes(p90)}"
        + (f" ({missing} never answered)" if missing else "")
    )
    print("  ETA given at arrival vs actual wait:")
    for name, predicted in (
        ("queue-state model (ours)", ours.predicted),
        ("Erlang C steady state", ours.erlang),
        ("constant 10 min default", constant),
    ):
        error = mae(predicted, actual)
        print(f"    {name:<26} MAE {minutes(error):>9}   MAE / mean wait {error / mean:.2f}")
    print("  mean wait by priority: priority queues vs plain FIFO")
    for p in PRIORITIES:
        print(
            f"    {p}: {minutes(mean_wait(ours, arrivals, p)):>9} vs "
            f"{minutes(mean_wait(fifo, arrivals, p)):>9}"
        )
    print(f"    all: {minutes(mean):>9} vs {minutes(mean_wait(fifo, arrivals)):>9}")
    print(f"  ran in {time.perf_counter() - started:.1f} s")
    print(f"  rerun: .venv/bin/python bench/eta.py --seed {args.seed} --scale {args.scale}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
