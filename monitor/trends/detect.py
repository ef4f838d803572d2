"""Spike detection on count series: pure functions, no database.

Most region × label series are sparse, lumpy counts (0, 2, 1, 7 …). A z-score on them cries
wolf daily, so every test here is a count model's tail probability:

1. **Expected count.** The mean of a trailing window of `window` buckets that ends `guard`
   buckets before the one tested (the gap keeps a build-up from raising its own baseline).
   When the buckets have a natural cycle (days: the week; hours: the day), the window holds
   at least `seasonal_cycles` full cycles and its phases differ beyond chance (chi-square,
   p < 0.01), the mean is scaled by this phase's share of the window, shrunk towards 1 by
   `seasonal_shrink` pseudo-items (sparse phases move little, busy ones fully).
2. **Tail probability** P(X ≥ observed) under a predictive count model: Poisson, or negative
   binomial when the history is over-dispersed (variance > `overdispersion` × mean; the
   variance is read from the window and from a longer `dispersion_window`, whichever is
   larger, because a few weeks of lumpy counts often look tamer than they are), widened by the
   uncertainty of the expected count itself (a rate learnt from S items). Never a Gaussian
   z-score on small counts. Further looks test the sums of the last 3 and 7 buckets (`spans`)
   the same way, for rises that last days without one surprising day; the smallest p-value
   times the number of looks (Bonferroni) is the bucket's.
3. **Guards.** A count below `min_count` is never flagged. A series with no history in its
   window is tested against a floor rate (half an item per window) and flagged `emerging` when
   it reaches `emerging_min`.
4. **Sustained shifts.** A Poisson CUSUM for a rise to `cusum_shift` × the expected rate adds
   up log-likelihood ratios bucket by bucket (divided by the window's dispersion, so lumpy
   series do not drift over the limit) and flags `shift` when the sum passes `cusum_h` (then
   restarts): slow build-ups that never make a one-bucket spike.
5. **Share of voice.** The label's share of all items (same region, same bucket) against the
   window's share, binomial tail: a coverage jump raises a label's count and the total
   together and leaves its share alone, so it reads as a volume change, not a narrative spike.
6. **False discovery control.** Benjamini–Hochberg over every test of one run (every bucket of
   a series file; every series of a day), at level `fdr`: a bucket is a `spike` when its
   adjusted p-value (q-value) is at most `fdr`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy import special

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class DetectorConfig:
    window: int = 28  # buckets in the trailing baseline window
    guard: int = 2  # buckets skipped between the window and the bucket tested
    min_history: int = 7  # fewer buckets of history than this: not tested
    dispersion_window: int = 84  # buckets read for the dispersion (variance / mean)
    fdr: float = 0.05  # Benjamini–Hochberg level over one run's tests
    min_count: int = 3  # never flag a bucket with fewer items
    emerging_min: int = 3  # items that make a label with no history "emerging"
    overdispersion: float = 1.0  # variance/mean above which the negative binomial is used
    seasonal_cycles: int = 3  # full cycles in the window before seasonality is used
    seasonal_shrink: float = 5.0  # pseudo-items pulling a phase's factor towards 1
    cusum_shift: float = 1.5  # the rise the CUSUM looks for (× expected)
    cusum_h: float = 10.0  # CUSUM decision limit (log-likelihood ratio)
    outlier_p: float = 1e-4  # a bucket this surprising enters later baselines as expected
    spans: tuple[int, ...] = (3, 7)  # also test the sums of the last 3 and 7 buckets

    def __post_init__(self) -> None:
        if self.window < 1 or self.guard < 0 or self.min_history < 1:
            raise ValueError("window ≥ 1, guard ≥ 0 and min_history ≥ 1 are required")
        if not 0 < self.fdr < 1:
            raise ValueError("fdr must lie between 0 and 1")
        if self.cusum_shift <= 1:
            raise ValueError("cusum_shift must be above 1")


@dataclass(frozen=True)
class Baseline:
    expected: float
    variance: float
    history: int  # buckets in the window
    total: float  # items in the window


@dataclass
class BucketResult:
    index: int
    observed: float
    expected: float | None  # None: too little history to test
    p_value: float | None
    method: str  # poisson | nbinom | emerging | untested
    q_value: float | None = None
    dispersion: float = 1.0  # window variance / mean, at least 1
    span: int = 1  # buckets whose sum gave the p-value (1: this bucket alone)
    cusum: float = 0.0
    flag: str = ""  # "" | spike | emerging | shift

    @property
    def score(self) -> float:
        """−log10 of the p-value (0 when untested): larger is more surprising."""
        if self.p_value is None:
            return 0.0
        return -math.log10(max(self.p_value, 1e-300))


def cycle_of(bucket: timedelta) -> int | None:
    """Buckets per natural cycle: days → a week (7), hours → a day (24), else none."""
    if bucket == DAY:
        return 7
    if bucket == HOUR:
        return 24
    return None


def baseline(values: Sequence[float] | np.ndarray, t: int, config: DetectorConfig,
             period: int | None = None) -> Baseline | None:
    """The expected count at bucket `t` from the trailing window; None without enough history."""
    bounds = _window(t, config)
    if bounds is None:
        return None
    start, end = bounds
    window = np.asarray(values[start:end], dtype=float)
    mean = float(window.mean())
    factor = 1.0
    scale = np.ones(len(window))
    if period and mean > 0 and len(window) >= period * config.seasonal_cycles:
        phases = np.arange(start, end) % period
        if _cyclic(window, phases, period):
            k = config.seasonal_shrink
            factors = np.ones(period)
            for phase in range(period):
                same = window[phases == phase]
                if len(same):
                    factors[phase] = (float(same.sum()) + k) / (len(same) * mean + k)
            factor = float(factors[t % period])
            scale = factors[phases]
    # The spread around the (cyclic) expectation: the cycle itself is not noise. A few weeks
    # of lumpy counts often look tamer than they are, so the dispersion (variance / mean) is
    # also read from a longer lookback, and the larger of the two is used.
    residual = window / np.maximum(scale, 1e-9)
    variance = float(residual.var(ddof=1)) if len(window) > 1 else mean
    lookback = np.asarray(values[max(0, end - config.dispersion_window):end], dtype=float)
    if len(lookback) > len(window) and lookback.mean() > 0:
        variance = max(variance, float(lookback.var(ddof=1) / lookback.mean()) * mean)
    return Baseline(mean * factor, variance * factor * factor, len(window),
                    float(window.sum()))


def _window(t: int, config: DetectorConfig) -> tuple[int, int] | None:
    """The trailing window [start, end) for bucket `t`: `window` buckets ending `guard` before
    it; None when it holds fewer than `min_history` buckets."""
    end = t - config.guard
    start = max(0, end - config.window)
    return (start, end) if end - start >= config.min_history else None


def _cyclic(window: np.ndarray, phases: np.ndarray, period: int) -> bool:
    """Does the history support a cycle? A chi-square test of the phases' totals against an
    even spread (p < 0.01), divided by the dispersion; phase means from a few weeks of sparse
    or lumpy counts are mostly noise."""
    totals = np.bincount(phases, weights=window, minlength=period)
    counts = np.bincount(phases, minlength=period)
    expected = counts * window.sum() / len(window)
    if window.sum() < 2 * period or (expected <= 0).any():
        return False
    chi2 = float(((totals - expected) ** 2 / expected).sum())
    # Lumpy (over-dispersed) counts spread over the phases more than Poisson counts do:
    # scale by the dispersion, as a quasi-Poisson test would.
    dispersion = max(1.0, float(window.var(ddof=1)) / float(window.mean()))
    return bool(special.chdtrc(period - 1, chi2 / dispersion) < 0.01)


def tail_p(observed: float, base: Baseline, config: DetectorConfig) -> tuple[float, str]:
    """P(X ≥ observed) under the baseline's predictive count model, and the model's name.

    The expected count is itself an estimate from a few weeks of history, and a test that
    forgets it cries wolf: the predictive distribution adds its uncertainty (for Poisson
    counts, a rate learnt from S items has relative variance 1/S, which turns the Poisson into
    the negative binomial with r = S + ½). Over-dispersed history (variance above
    `overdispersion` × mean) widens it further, moment-matched."""
    k = math.floor(observed + 0.5)
    if base.total <= 0:
        return _poisson_sf(k, 0.5 / base.history), "emerging"
    mu = max(base.expected, 0.5 / base.history)
    method = "poisson"
    variance = mu
    if base.variance > config.overdispersion * base.expected and base.expected > 0:
        method, variance = "nbinom", max(base.variance, mu)
    variance += mu * mu / (base.total + 0.5)  # the estimated rate's own uncertainty
    r = mu * mu / (variance - mu)
    return _nbinom_sf(k, r, r / (r + mu)), method


# scipy.special's functions, not scipy.stats' distributions: the same numbers ~100× faster,
# which matters when a day's run tests tens of thousands of series.
def _poisson_sf(k: int, mu: float) -> float:
    """P(X ≥ k), X ~ Poisson(mu)."""
    return 1.0 if k <= 0 else float(special.pdtrc(k - 1, mu))


def _nbinom_sf(k: int, r: float, p: float) -> float:
    """P(X ≥ k), X ~ NegativeBinomial(r, p) (failures before the r-th success)."""
    return 1.0 if k <= 0 else float(special.betainc(k, r, 1.0 - p))


def _binom_sf(k: int, n: int, p: float) -> float:
    """P(X ≥ k), X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    return float(special.bdtrc(k - 1, n, p))


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    """Adjusted p-values (q-values): reject every test whose q-value is at most the level."""
    p = np.asarray(p_values, dtype=float)
    n = len(p)
    if n == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(adjusted, 1.0)
    return q


def scan(values: Sequence[float], config: DetectorConfig | None = None,
         period: int | None = None) -> list[BucketResult]:
    """Test every bucket of one series (one run: BH over all its tested buckets)."""
    config = config or DetectorConfig()
    x = np.asarray(values, dtype=float)
    # Baselines read a cleaned copy: a bucket far beyond its expected count (p below
    # `outlier_p`) enters later windows as its expected count, so one spike does not raise the
    # next four weeks' baselines and hide what follows.
    clean = x.copy()
    results: list[BucketResult] = []
    for t, observed in enumerate(x):
        base = baseline(clean, t, config, period)
        if base is None:
            results.append(BucketResult(t, float(observed), None, None, "untested"))
            continue
        p, method = tail_p(observed, base, config)
        span = 1
        if method != "emerging" and observed > base.expected:
            p, span = _span_looks(p, observed, base, t, clean, results, config)
        if p < config.outlier_p and observed > base.expected:
            clean[t] = base.expected
        dispersion = max(1.0, base.variance / base.expected) if base.expected > 0 else 1.0
        results.append(BucketResult(t, float(observed), round(base.expected, 4), p, method,
                                    dispersion=dispersion, span=span))
    _decide(results, config)
    return results


def _span_looks(p: float, observed: float, base: Baseline, t: int, clean: np.ndarray,
                results: list[BucketResult], config: DetectorConfig) -> tuple[float, int]:
    """Also test the sums of the last few buckets (`spans`): a rise that lasts days without
    one surprising day. Earlier buckets enter as cleaned (an earlier spike as its expected
    count, so it is not reported again); the smallest p-value times the number of looks
    (Bonferroni) is the bucket's, with the span that gave it."""
    best, best_span = p, 1
    looks = 1
    for span in config.spans:
        if span <= 1 or t < span - 1:
            continue
        lagged = results[t - span + 1:t]
        if any(r.expected is None for r in lagged):
            continue
        looks += 1
        total = float(clean[t - span + 1:t].sum()) + observed
        expected = sum(r.expected or 0.0 for r in lagged) + base.expected
        # Neighbouring buckets are taken as independent: the sum's variance is the span
        # times one bucket's.
        summed = Baseline(expected, span * base.variance, base.history * span, base.total)
        p_span, _ = tail_p(total, summed, config)
        if p_span < best:
            best, best_span = p_span, span
    return min(1.0, looks * best), best_span


def _decide(results: list[BucketResult], config: DetectorConfig) -> None:
    """Flag spikes and emerging labels (BH over the tested buckets), then run the CUSUM, which
    restarts after every alarm so one build-up is not reported day after day."""
    tested = [r for r in results if r.p_value is not None]
    for r, q in zip(tested, benjamini_hochberg([r.p_value or 1.0 for r in tested]),
                    strict=True):
        r.q_value = float(q)
        if r.observed < config.min_count or q > config.fdr:
            continue
        if r.method != "emerging":
            r.flag = "spike"
        elif r.observed >= config.emerging_min:
            r.flag = "emerging"
    cusum = 0.0
    log_shift = math.log(config.cusum_shift)
    for r in tested:
        if r.method == "emerging" or r.expected is None:  # (None never: narrows the type)
            continue
        # Over-dispersed counts wander more: their log-likelihood ratios are scaled down by
        # the dispersion (a quasi-Poisson CUSUM), or noise alone would pass the limit.
        step = r.observed * log_shift - r.expected * (config.cusum_shift - 1)
        cusum = max(0.0, cusum + step / r.dispersion)
        r.cusum = round(cusum, 4)
        if not r.flag and cusum >= config.cusum_h and r.observed >= config.min_count:
            r.flag = "shift"
        if r.flag:
            cusum = 0.0


@dataclass
class ShareResult:
    index: int
    count: int
    total: int
    share: float | None
    expected_share: float | None
    p_value: float | None
    q_value: float | None = None
    flag: str = ""


def share_scan(counts: Sequence[float], totals: Sequence[float],
               config: DetectorConfig | None = None) -> list[ShareResult]:
    """Share-of-voice test per bucket: is the label's share of all items above the window's?"""
    config = config or DetectorConfig()
    c = np.asarray(counts, dtype=float)
    n = np.asarray(totals, dtype=float)
    if c.shape != n.shape:
        raise ValueError("counts and totals must have the same length")
    results: list[ShareResult] = []
    for t in range(len(c)):
        bounds = _window(t, config)
        k, total = int(round(c[t])), int(round(n[t]))
        share = k / total if total else None
        if bounds is None or n[bounds[0]:bounds[1]].sum() <= 0 or total == 0:
            results.append(ShareResult(t, k, total, share, None, None))
            continue
        start, end = bounds
        # A half-item prior keeps a zero-history share from making any count "impossible".
        p0 = (c[start:end].sum() + 0.5) / (n[start:end].sum() + 1.0)
        p = _binom_sf(k, total, float(p0))
        results.append(ShareResult(t, k, total, share, round(float(p0), 6), p))
    tested = [r for r in results if r.p_value is not None]
    for r, q in zip(tested, benjamini_hochberg([r.p_value or 1.0 for r in tested]),
                    strict=True):
        r.q_value = float(q)
        if r.count >= config.min_count and q <= config.fdr:
            r.flag = "share"
    return results


@dataclass
class Series:
    """A regular series read from (timestamp, value) pairs: gaps filled with zeros."""

    start: datetime
    bucket: timedelta
    values: list[float]

    def timestamp(self, index: int) -> datetime:
        return self.start + index * self.bucket


def regular_series(points: Sequence[tuple[datetime, float]]) -> Series:
    """Sort the points, infer the bucket size (the smallest step between timestamps), sum
    points that share a bucket and fill missing buckets with zeros."""
    if len(points) < 2:
        raise ValueError("a series needs at least two points to show its bucket size")
    ordered = sorted(points, key=lambda p: p[0])
    steps = [b[0] - a[0] for a, b in zip(ordered, ordered[1:], strict=False)
             if b[0] > a[0]]
    if not steps:
        raise ValueError("every point has the same timestamp: no bucket size to read")
    bucket = min(steps)
    start = ordered[0][0]
    length = int((ordered[-1][0] - start) / bucket) + 1
    if length > 10_000_000:
        raise ValueError(f"{length:,} buckets of {bucket} between the first and last point: "
                         "too many (is one timestamp wrong?)")
    values = [0.0] * length
    for when, value in ordered:
        values[int((when - start) / bucket)] += value
    return Series(start, bucket, values)
