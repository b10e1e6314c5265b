"""What a run must meet, and each measure of a result checked against it (pass, miss, or no target)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.metrics import LONG_POLL_METHOD, Spread
from bench.scenario import MB, BenchResult

BOT = "bot"


@dataclass(frozen=True)
class Targets:
    """A shape's targets; None means the shape has none for that measure.

    Every run must deliver every video exactly once and get no 429 answers.
    """

    over_floor_p95: float | None = None  # delivery overhead above Telegram's floor, p95, seconds
    first_answer_p95: float | None = None  # first answer after the command, p95, seconds
    first_answer_over_floor: float | None = None  # ... at most this many seconds above the floor's p95
    peak_rss_mb: float | None = None


@dataclass(frozen=True)
class Check:
    """One measure of a run: its value, its target ('-' if none) and whether it was met (None: no target)."""

    measure: str
    value: str
    target: str = "-"
    met: bool | None = None


def seconds(value: float | None) -> str:
    """A duration for the report."""
    return "n/a" if value is None else f"{value:.2f} s"


def median_p95(spread: Spread | None) -> str:
    """'median X s · p95 Y s' of a spread."""
    return "n/a" if spread is None else f"median {spread.median:.2f} s · p95 {spread.p95:.2f} s"


def _below(measure: str, value: float | None, limit: float | None, shown: str, target: str) -> Check:
    if limit is None:
        return Check(measure, shown)
    return Check(measure, shown, target, value is not None and value < limit)


def _gaps(spread: Spread | None, jobs: int) -> str:
    if spread is None:
        return "n/a"
    return f"{median_p95(spread)} ({spread.count} of {jobs} jobs)"


def _of(spread: Spread | None, jobs: int) -> str:
    """' (n of N jobs)' when the sample misses some jobs."""
    count = 0 if spread is None else spread.count
    return "" if count == jobs else f" ({count} of {jobs} jobs)"


def _p95(spread: Spread | None) -> float | None:
    return None if spread is None else spread.p95


def calls_per_job(result: BenchResult) -> tuple[float, str]:
    """Telegram calls per job (long polls left out) and the per-method breakdown."""
    jobs = max(1, result.config.total_jobs)
    per_method = [entry for entry in result.calls if entry.method != LONG_POLL_METHOD]
    total = sum(entry.total for entry in per_method) / jobs
    return total, ", ".join(f"{entry.method} {entry.total / jobs:.2f}" for entry in per_method)


def check(result: BenchResult, targets: Targets) -> list[Check]:
    """Every headline measure of the run, checked against the targets."""
    deliveries = result.deliveries
    delivered = (
        f"{deliveries.once}/{result.config.total_jobs} "
        f"(lost {len(deliveries.lost)}, duplicated {len(deliveries.duplicated)}, stray {deliveries.strays})"
    )
    first = _p95(result.first_answer)
    floor = _p95(result.first_answer_floor)
    first_limit = targets.first_answer_p95
    first_target = "-" if first_limit is None else f"< {first_limit:g} s"
    if targets.first_answer_over_floor is not None and floor is not None:
        first_limit = floor + targets.first_answer_over_floor
        first_target = f"< floor + {targets.first_answer_over_floor:g} s"
    peak_mb = result.memory.peak_bytes / MB
    total, breakdown = calls_per_job(result)
    over_floor_target = "-" if targets.over_floor_p95 is None else f"< {targets.over_floor_p95:g} s"
    rss_target = "-" if targets.peak_rss_mb is None else f"< {targets.peak_rss_mb:g} MB"
    return [
        Check("Videos delivered exactly once", delivered, "all", result.complete),
        Check("429 answers", str(result.too_many_requests), "0", result.too_many_requests == 0),
        _below(
            "Delivery overhead above the floor, p95",
            _p95(result.over_floor),
            targets.over_floor_p95,
            seconds(_p95(result.over_floor)) + _of(result.over_floor, result.config.total_jobs),
            over_floor_target,
        ),
        _below(
            "First answer after the command, p95 (floor)",
            first,
            first_limit,
            f"{seconds(first)} (floor {seconds(floor)})" + _of(result.first_answer, result.config.total_jobs),
            first_target,
        ),
        _below("Peak RSS of the bot", peak_mb, targets.peak_rss_mb, f"{peak_mb:.1f} MB", rss_target),
        Check("Telegram calls per job", f"{total:.2f} ({breakdown})"),
        Check("Largest gap between progress updates", _gaps(result.progress_gap, result.config.total_jobs)),
        Check("CPU seconds of the bot", f"{result.cpu_seconds.get(BOT, 0.0):.1f} s"),
    ]
