"""The spike detector on series with known truth: what an analyst would see flagged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from monitor.trends.detect import (
    DetectorConfig,
    baseline,
    benjamini_hochberg,
    regular_series,
    scan,
    share_scan,
)


def flags(results: list) -> dict[int, str]:
    return {r.index: r.flag for r in results if r.flag}


def test_a_tenfold_day_on_a_sparse_series_is_a_spike_and_nothing_else_is() -> None:
    rng = np.random.default_rng(7)
    x = rng.poisson(2, 120).astype(float)
    x[100] = 14
    assert flags(scan(x, period=7)) == {100: "spike"}


def test_null_series_raise_at_most_one_alarm_per_thousand_series_days() -> None:
    rng = np.random.default_rng(11)
    alarms = days = 0
    for mean in (0.5, 2, 10, 50, 200):
        weekly = np.tile([1.0, 1.0, 1.1, 1.0, 1.0, 0.8, 0.7], 18)[:120]
        for _ in range(40):
            x = rng.poisson(mean * weekly)
            alarms += len(flags(scan(x, period=7)))
            days += len(x)
    assert alarms * 1000 / days <= 1.0


def test_over_dispersed_counts_use_the_negative_binomial_where_poisson_would_cry_wolf() -> None:
    rng = np.random.default_rng(3)
    x = rng.negative_binomial(2, 2 / (2 + 10), 150).astype(float)  # mean 10, variance 60
    results = scan(x, period=7)
    tested = [r for r in results if r.p_value is not None]
    assert sum(r.method == "nbinom" for r in tested) > 0.8 * len(tested)
    assert len(flags(results)) <= 1
    poisson_only = scan(x, DetectorConfig(overdispersion=1e9), period=7)
    assert len(flags(poisson_only)) > len(flags(results)) + 3


def test_a_weekly_cycle_sets_the_expected_count_when_the_history_supports_it() -> None:
    rng = np.random.default_rng(5)
    pattern = np.tile([20, 20, 20, 20, 20, 4, 4], 12).astype(float)
    x = rng.poisson(pattern).astype(float)
    base = baseline(x, 82, DetectorConfig(), period=7)  # 82 % 7 == 5: a quiet day
    assert base is not None and base.expected < 8
    assert flags(scan(x, period=7)) == {}
    flat = baseline(x, 82, DetectorConfig(), period=None)
    assert flat is not None and flat.expected > 12


def test_sparse_noise_does_not_pass_for_a_cycle() -> None:
    rng = np.random.default_rng(9)
    x = rng.poisson(1.0, 60).astype(float)
    seasonal = baseline(x, 59, DetectorConfig(), period=7)
    flat = baseline(x, 59, DetectorConfig(), period=None)
    assert seasonal is not None and flat is not None
    assert seasonal.expected == pytest.approx(flat.expected)


def test_a_label_with_no_history_is_emerging_once_it_reaches_the_minimum() -> None:
    x = np.zeros(60)
    x[50] = 2
    assert flags(scan(x)) == {}
    x[50] = 4
    assert flags(scan(x)) == {50: "emerging"}


def test_the_minimum_volume_guard_keeps_tiny_counts_quiet() -> None:
    x = np.zeros(60)
    x[10] = 1  # a trace of history: an expected count near zero
    x[50] = 2
    results = scan(x)
    assert results[50].p_value is not None and results[50].p_value < 0.01
    assert flags(results) == {}


def test_a_slow_build_up_is_caught_though_no_single_day_is_surprising() -> None:
    rng = np.random.default_rng(2)
    ramp = np.concatenate([np.full(60, 6.0), np.linspace(6, 16, 40)])
    x = rng.poisson(ramp).astype(float)
    results = scan(x, period=7)
    caught = [r for r in results if r.flag]
    assert caught and min(r.index for r in caught) >= 60
    # What raised it: the sum of several days, or the CUSUM.
    assert all(r.span > 1 or r.flag == "shift" for r in caught)


def test_a_week_at_three_times_a_sparse_baseline_is_caught_by_the_weekly_sum() -> None:
    rng = np.random.default_rng(8)
    rate = np.full(120, 2.0)
    rate[90:97] = 6.0
    x = rng.poisson(rate).astype(float)
    caught = [r for r in scan(x, period=7) if r.flag]
    assert caught and all(90 <= r.index < 97 for r in caught)
    single_day_only = scan(x, DetectorConfig(spans=(), cusum_h=1e9), period=7)
    assert not any(r.flag for r in single_day_only)


def test_one_spike_does_not_hide_the_next_one() -> None:
    rng = np.random.default_rng(4)
    x = rng.poisson(3, 120).astype(float)
    x[80], x[90] = 40, 16
    assert flags(scan(x, period=7)) == {80: "spike", 90: "spike"}


def test_a_coverage_jump_is_no_share_of_voice_spike_but_a_real_rise_is() -> None:
    rng = np.random.default_rng(6)
    totals = np.concatenate([np.full(60, 200), np.full(20, 800)]).astype(float)
    counts = rng.binomial(totals.astype(int), 0.05).astype(float)
    # The raw count quadruples with the coverage …
    assert any(r.flag for r in scan(counts)[60:])
    # … but the label's share of voice does not move.
    assert not any(r.flag for r in share_scan(counts, totals))
    counts[70] = 0.15 * totals[70]
    assert [r.index for r in share_scan(counts, totals) if r.flag] == [70]


def test_benjamini_hochberg_adjusts_p_values() -> None:
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.5])
    assert q == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5], rel=1e-6)
    assert benjamini_hochberg([]).size == 0


def test_the_bucket_size_is_read_from_the_data_and_gaps_count_as_zero() -> None:
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    points = [(t0 + timedelta(hours=h), 2.0) for h in (0, 1, 2, 5)] + [(t0, 1.0)]
    series = regular_series(points)
    assert series.bucket == timedelta(hours=1)
    assert series.values == [3.0, 2.0, 2.0, 0.0, 0.0, 2.0]
    assert series.timestamp(5) == t0 + timedelta(hours=5)
    with pytest.raises(ValueError, match="two points"):
        regular_series(points[:1])
