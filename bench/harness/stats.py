"""Percentiles and latency summaries for the results."""


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def rounded(value, digits=1):
    return None if value is None else round(value, digits)


def summary(latencies: list[float], expected: int) -> dict:
    missing = expected - len(latencies)
    # Missing deliveries count as infinitely late, so p99 cannot hide them.
    padded = latencies + [float("inf")] * missing
    return {
        "p50_s": rounded(percentile(padded, 50), 3),
        "p99_s": rounded(percentile(padded, 99), 3),
        "max_s": rounded(max(latencies), 3) if latencies else None,
        "missing": missing,
    }


def median_run(runs: list[dict], key: str) -> dict:
    """The run with the median `key` (the lower middle for an even count), with the range.

    A busy 2-core machine moves a single run by tens of percent, so each headline figure is
    the median of several runs in one bench, and its lowest run is what a goal is held to.
    """
    ordered = sorted(runs, key=lambda run: run[key])
    return {
        **ordered[(len(ordered) - 1) // 2],
        f"{key}_min": ordered[0][key],
        f"{key}_max": ordered[-1][key],
    }
