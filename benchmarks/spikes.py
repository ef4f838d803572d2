"""Spike-detection harness: synthetic daily series with known truth (run by hand; prints figures).

    .venv/bin/python benchmarks/spikes.py [--series-per-cell N] [--days D] [--seed S]

Backgrounds: Poisson and negative-binomial (variance = mean + mean²/4) counts at means 0.5, 2,
5, 20 and 200 per day, with a weekly cycle (weekends at 70%). On top:

- **null** series: nothing happens → false alarms per 1,000 series-days;
- **spikes** of 2×, 3× and 5× the baseline lasting 1, 3 or 7 days → recall (flagged on any day
  of the event) and the median delay from its first day;
- **ramps**: the rate climbs to 2× over 21 days and stays → recall by the ramp's end;
- **coverage jumps** (decoys): a source is added and every count and the total triple →
  share-of-voice alarms (there should be none).

Three detectors score the same series in the same run: this project's (`scan`, each series
as one run with Benjamini–Hochberg over its days, exactly what `monitor detect --series`
does), a naive rolling z-score (z > 3 against the trailing 28 days) and a plain Poisson test
(p < 0.001 against the trailing 28-day mean). Each tests days from the 35th on.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable

import numpy as np
from scipy import special

from monitor.trends.detect import DetectorConfig, scan, share_scan

MEANS = (0.5, 2.0, 5.0, 20.0, 200.0)
WEEK = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.7])
FIRST_TESTED = 35
Detector = Callable[[np.ndarray], np.ndarray]  # counts -> boolean alarms per day


def background(rng: np.random.Generator, mean: float, days: int, family: str,
               rate: np.ndarray | None = None) -> np.ndarray:
    lam = mean * np.resize(WEEK / WEEK.mean(), days) * (1 if rate is None else rate)
    if family == "poisson":
        return rng.poisson(lam).astype(float)
    shape = 4.0  # variance = λ + λ²/4
    return rng.poisson(rng.gamma(shape, lam / shape)).astype(float)


def ours(config: DetectorConfig) -> Detector:
    def detect(x: np.ndarray) -> np.ndarray:
        return np.array([bool(r.flag) for r in scan(x, config, period=7)])
    return detect


def _trailing(x: np.ndarray, t: int, window: int = 28, guard: int = 2) -> np.ndarray:
    return x[max(0, t - guard - window):t - guard]


def naive_z(x: np.ndarray) -> np.ndarray:
    alarms = np.zeros(len(x), dtype=bool)
    for t in range(FIRST_TESTED, len(x)):
        w = _trailing(x, t)
        sd = w.std(ddof=1)
        alarms[t] = (x[t] - w.mean()) / sd > 3 if sd > 0 else x[t] > w.mean()
    return alarms


def plain_poisson(x: np.ndarray) -> np.ndarray:
    alarms = np.zeros(len(x), dtype=bool)
    for t in range(FIRST_TESTED, len(x)):
        mu = max(_trailing(x, t).mean(), 1e-3)
        alarms[t] = x[t] > 0 and special.pdtrc(x[t] - 1, mu) < 0.001
    return alarms


def run(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.seed)
    detectors: dict[str, Detector] = {"this detector": ours(DetectorConfig()),
                                      "naive z-score": naive_z, "plain Poisson": plain_poisson}
    false_alarms: dict[str, list[int]] = defaultdict(list)
    hits: dict[tuple[str, str], list[bool]] = defaultdict(list)
    delays: dict[tuple[str, str], list[int]] = defaultdict(list)
    null_days = 0
    elapsed = dict.fromkeys(detectors, 0.0)

    def timed(name: str, x: np.ndarray) -> np.ndarray:
        start = time.perf_counter()
        alarms = detectors[name](x)
        elapsed[name] += time.perf_counter() - start
        return alarms

    for family in ("poisson", "negbin"):
        for mean in MEANS:
            for _ in range(args.series_per_cell):
                x = background(rng, mean, args.days, family)
                null_days += args.days - FIRST_TESTED
                for name in detectors:
                    false_alarms[name].append(int(timed(name, x)[FIRST_TESTED:].sum()))
                for size in (2, 3, 5):
                    for duration in (1, 3, 7):
                        start = int(rng.integers(60, args.days - duration))
                        rate = np.ones(args.days)
                        rate[start:start + duration] = size
                        y = background(rng, mean, args.days, family, rate)
                        cell = f"{family} mean {mean:g}: {size}× for {duration}d"
                        for name in detectors:
                            found = np.flatnonzero(timed(name, y)[start:start + duration])
                            hits[(name, cell)].append(found.size > 0)
                            if found.size:
                                delays[(name, cell)].append(int(found[0]))
                ramp_start = int(rng.integers(60, args.days - 25))
                rate = np.ones(args.days)
                rate[ramp_start:ramp_start + 21] = np.linspace(1, 2, 21)
                rate[ramp_start + 21:] = 2
                y = background(rng, mean, args.days, family, rate)
                for name in detectors:
                    found = timed(name, y)[ramp_start:ramp_start + 22].any()
                    hits[(name, f"{family} mean {mean:g}: ramp to 2× in 21d")].append(bool(found))

    print(f"{args.series_per_cell} series per cell, {args.days} days each, seed {args.seed}\n")
    print("False alarms per 1,000 null series-days (Poisson and negative-binomial backgrounds):")
    for name in detectors:
        print(f"  {name:<14} {1000 * sum(false_alarms[name]) / null_days:8.2f}"
              f"   ({elapsed[name]:.1f} s for every series)")
    print("\nRecall (flagged on any day of the event) · median delay in days:")
    cells = sorted({cell for _, cell in hits}, key=_order)
    print(f"  {'event':<38}" + "".join(f"{name:>22}" for name in detectors))
    for cell in cells:
        line = f"  {cell:<38}"
        for name in detectors:
            found = hits[(name, cell)]
            d = delays.get((name, cell))
            delay = f"{statistics.median(d):.0f}" if d else "-"
            line += f"{sum(found) / len(found):>16.2f} · {delay:>3}"
        print(line)
    summary(hits, delays, detectors)
    decoys(rng, args)


def _order(cell: str) -> tuple[str, float, str]:
    family, rest = cell.split(" mean ")
    mean, event = rest.split(": ")
    return family, float(mean), event


def summary(hits: dict[tuple[str, str], list[bool]], delays: dict[tuple[str, str], list[int]],
            detectors: dict[str, Detector]) -> None:
    """The acceptance figure: spikes of 3× or more on a baseline of 2/day or more, over every
    duration and by duration."""
    print("\nSpikes ≥ 3× on a baseline ≥ 2/day: recall, median delay (days)")
    print(f"  {'':<14}{'all':>14}{'1 day':>14}{'3 days':>14}{'7 days':>14}")
    for name in detectors:
        line = f"  {name:<14}"
        for duration in ("", "1d", "3d", "7d"):
            found: list[bool] = []
            delay: list[int] = []
            for (detector, cell), values in hits.items():
                family, mean, event = _order(cell)
                if (detector == name and mean >= 2 and event[0] in "35" and "ramp" not in event
                        and event.endswith(duration)):
                    found += values
                    delay += delays.get((detector, cell), [])
            median = statistics.median(delay) if delay else float("nan")
            line += f"{sum(found) / len(found):>10.3f} · {median:.0f}"
        print(line)


def decoys(rng: np.random.Generator, args: argparse.Namespace) -> None:
    alarms = count_alarms = series = 0
    for mean in MEANS[1:]:
        for _ in range(args.series_per_cell):
            jump = int(rng.integers(60, args.days - 10))
            coverage = np.ones(args.days)
            coverage[jump:] = 3
            totals = background(rng, mean * 20, args.days, "poisson", coverage)
            counts = rng.binomial(totals.astype(int), 0.05).astype(float)
            alarms += sum(bool(r.flag) for r in share_scan(counts, totals)[jump:])
            count_alarms += any(r.flag for r in scan(counts, period=7)[jump:])
            series += 1
    print(f"\nCoverage jumps (×3, {series} series): share-of-voice alarms {alarms}; "
          f"raw-count alarms on {count_alarms} series (read as a volume change)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series-per-cell", type=int, default=40)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
