"""The ETA model: queue position, staffing and measured handling times."""

from __future__ import annotations

import math

import pytest

from consigndesk.domain.eta import (
    EtaConfig,
    GroupLoad,
    erlang_c,
    erlang_c_wait,
    first_response_eta,
    moved_etas,
    overtake_rate,
    queue_etas,
    typical_seconds,
    wait_for_slot,
)

CONFIG = EtaConfig()


def busy(slots: int, free: int = 0, handle: float = 1200.0, response: float = 300.0) -> GroupLoad:
    return GroupLoad(slots=slots, free_slots=free, response_seconds=response, handle_seconds=handle)


def test_a_free_slot_means_only_the_reply_time() -> None:
    assert first_response_eta(0, busy(10, free=2), CONFIG) == 300
    assert first_response_eta(1, busy(10, free=2), CONFIG) == 300
    assert first_response_eta(2, busy(10, free=2), CONFIG) > 300


def test_eta_grows_with_queue_position() -> None:
    etas = [first_response_eta(k, busy(6), CONFIG) for k in range(6)]
    assert etas == sorted(etas) and len(set(etas)) == 6
    # each place further back costs one slot release: handle time / slots
    assert etas[1] - etas[0] == pytest.approx(1200 / 6, abs=1)


def test_eta_shrinks_with_more_agents_online() -> None:
    assert first_response_eta(5, busy(12), CONFIG) < first_response_eta(5, busy(6), CONFIG)
    assert first_response_eta(5, busy(6, free=6), CONFIG) < first_response_eta(5, busy(6), CONFIG)


def test_urgent_arrivals_overtake_lower_priorities() -> None:
    rates = {"P1": 1 / 600, "P2": 1 / 300, "P3": 1 / 60}
    assert overtake_rate("P1", rates) == 0
    assert overtake_rate("P3", rates) == pytest.approx(1 / 600 + 1 / 300)
    p1 = first_response_eta(3, busy(6), CONFIG, overtake_rate("P1", rates))
    p3 = first_response_eta(3, busy(6), CONFIG, overtake_rate("P3", rates))
    assert p3 > p1
    # a flood of urgent work slows a ticket down but never stops it
    flood = first_response_eta(3, busy(6), CONFIG, overtaking=1.0)
    assert flood == round(4 / (6 / 1200 * 0.1) + 300)


def test_nobody_online_still_gives_a_bounded_eta() -> None:
    nobody = busy(0, response=600)
    eta = first_response_eta(0, nobody, CONFIG)
    assert eta == CONFIG.offline_wait_seconds + 600
    assert first_response_eta(20, nobody, CONFIG) > eta
    assert wait_for_slot(0, nobody) == math.inf
    assert first_response_eta(10**9, busy(1), CONFIG) == CONFIG.max_seconds


def test_queue_etas_follow_queue_order() -> None:
    etas = queue_etas([(7, "P1"), (3, "P2"), (9, "P3")], busy(4), CONFIG)
    assert list(etas) == [7, 3, 9]
    assert etas[7] < etas[3] < etas[9]


def test_typical_time_is_the_median_or_the_default_without_history() -> None:
    assert typical_seconds([], 600) == 600
    assert typical_seconds([10, 20, 30], 600, min_samples=5) == 600
    assert typical_seconds([10, 20, 30, 40, 1000], 600) == 30
    assert typical_seconds([-5, 10, 20, 30, 40, 50], 600) == 30


def test_erlang_c_sanity_values() -> None:
    # one server: the probability of waiting is the utilisation
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    # two servers, one Erlang: 1/3 (textbook value)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # 10 agents at 8 Erlangs: about 0.409
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=1e-3)
    assert erlang_c(3, 0.0) == 0.0
    assert erlang_c(3, 3.0) == 1.0


def test_erlang_c_wait_matches_mm1_and_grows_with_load() -> None:
    # M/M/1: Wq = rho / (mu - lambda); lambda = 1/120 s, service 60 s → 60 s
    assert erlang_c_wait(1 / 120, 60, 1) == pytest.approx(60.0)
    waits = [erlang_c_wait(rate, 600, 5) for rate in (1 / 600, 2 / 600, 4 / 600)]
    assert waits == sorted(waits)
    assert erlang_c_wait(5 / 600, 600, 5) == math.inf
    assert erlang_c_wait(4 / 600, 600, 10) < erlang_c_wait(4 / 600, 600, 5)


def test_only_etas_that_moved_beyond_the_tolerance_are_written() -> None:
    new = {1: 600, 2: 620, 3: 700, 4: 300}
    stored = {1: 600, 2: 600, 3: 600, 4: None}  # 5 was never stored
    assert moved_etas(new | {5: 60}, stored, tolerance=30) == {3: 700, 4: 300, 5: 60}
    assert moved_etas(new, stored, tolerance=0) == {2: 620, 3: 700, 4: 300}


def test_a_long_wait_is_rewritten_only_when_it_moved_by_a_share_of_what_is_left() -> None:
    stored = {1: 18_000, 2: 18_000, 3: 600}
    new = {1: 18_180, 2: 20_000, 3: 700}  # 5 h, moved 3 min · moved 33 min · 10 min, moved 100 s
    still_ahead = {1: 18_000, 2: 19_800, 3: 500}
    assert moved_etas(new, stored, 30, still_ahead=still_ahead, share=0.1) == {2: 20_000, 3: 700}
    assert moved_etas(new, stored, 30) == new  # without a share every move over 30 s counts
