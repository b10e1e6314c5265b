"""The benchmark's result as a markdown table: each metric, its target, and whether the run met it."""

from __future__ import annotations

from collections.abc import Sequence

from bench.metrics import LONG_POLL_METHOD, Spread
from bench.scenario import MB, BenchResult

TARGET_OVERHEAD_P95_SECONDS = 0.5
TARGET_PEAK_RSS_MB = 150.0
TARGET_TOO_MANY_REQUESTS = 0
SHOWN_LOG_LINES = 5


def _verdict(met: bool) -> str:
    return "pass" if met else "**miss**"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def _spread(spread: Spread | None) -> str:
    if spread is None:
        return "n/a"
    return f"median {spread.median:.2f} s · p95 {spread.p95:.2f} s · max {spread.maximum:.2f} s"


def summary_rows(result: BenchResult) -> list[tuple[str, str, str, str]]:
    """(metric, value, target, verdict) for the main table."""
    config = result.config
    deliveries = result.deliveries
    overhead = result.overhead
    peak_mb = result.memory.peak_bytes / MB
    per_job = [entry for entry in result.calls if entry.method != LONG_POLL_METHOD]
    per_job_total = sum(entry.total for entry in per_job) / config.jobs
    breakdown = ", ".join(f"{entry.method} {entry.total / config.jobs:.2f}" for entry in per_job)
    delivered = (
        f"{deliveries.once}/{deliveries.expected} exactly once "
        f"(lost {len(deliveries.lost)}, duplicated {len(deliveries.duplicated)}, stray {deliveries.strays})"
    )
    return [
        ("Videos delivered", delivered, "all, exactly once", _verdict(result.complete)),
        (
            "Bot overhead per job, median",
            _seconds(overhead.median if overhead else None),
            "-",
            "-",
        ),
        (
            "Bot overhead per job, p95",
            _seconds(overhead.p95 if overhead else None),
            f"< {TARGET_OVERHEAD_P95_SECONDS} s",
            _verdict(overhead is not None and overhead.p95 < TARGET_OVERHEAD_P95_SECONDS),
        ),
        ("Bot overhead per job, max", _seconds(overhead.maximum if overhead else None), "-", "-"),
        (
            "Peak RSS of the bot process",
            f"{peak_mb:.1f} MB",
            f"< {TARGET_PEAK_RSS_MB:.0f} MB",
            _verdict(peak_mb < TARGET_PEAK_RSS_MB),
        ),
        ("Telegram calls per job", f"{per_job_total:.2f} ({breakdown})", "-", "-"),
        (
            "429 answers from the fake Bot API",
            str(result.too_many_requests),
            str(TARGET_TOO_MANY_REQUESTS),
            _verdict(result.too_many_requests <= TARGET_TOO_MANY_REQUESTS),
        ),
    ]


def detail_rows(result: BenchResult) -> list[tuple[str, str]]:
    """(measure, value) for the details under the table."""
    config = result.config
    cpu = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.cpu_seconds.items())
    states = ", ".join(f"{state} {count}" for state, count in sorted(result.job_states.items())) or "n/a"
    memory = result.memory
    return [
        ("Status message after the user's message", _spread(result.status_latency)),
        ("Final status (last edit) after the user's message", _spread(result.final_status_latency)),
        ("Final states written before the bot was stopped", f"{result.notified}/{config.jobs}"),
        ("Injecting all messages took", _seconds(result.injection_seconds)),
        ("First message to last video", _seconds(result.burst_seconds)),
        ("Bot start-up (process start to deleteWebhook)", _seconds(result.startup_seconds)),
        (
            "Memory",
            f"VmHWM {memory.high_water_mark_bytes / MB:.1f} MB, "
            f"polled peak {memory.polled_peak_bytes / MB:.1f} MB "
            f"({memory.samples} samples, {memory.descendants_seen} child processes)",
        ),
        ("CPU time during the run", cpu),
        ("1-minute load average before / after", f"{result.load_before:.2f} / {result.load_after:.2f}"),
        ("Jobs in the bot's ledger afterwards", states),
        ("Bot exit code after SIGTERM", str(result.bot_exit_code)),
        ("WARNING/ERROR lines in the bot's log", str(len(result.bot_log_problems))),
        (
            "Settings",
            f"GENERATION_MODE={config.mode}, MAX_CONCURRENT_JOBS={config.concurrency}, model veo-3.1-fast",
        ),
    ]


def calls_table(result: BenchResult) -> list[tuple[str, str, str, str]]:
    """(method, calls, per job, 429s) for every Bot API method the bot used while the jobs ran."""
    jobs = result.config.jobs
    rows = []
    for entry in result.calls:
        per_job = "-" if entry.method == LONG_POLL_METHOD else f"{entry.total / jobs:.2f}"
        rows.append((entry.method, str(entry.total), per_job, str(entry.too_many_requests)))
    return rows


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows)
    return lines


def render(result: BenchResult) -> str:
    """The whole report as markdown."""
    config = result.config
    title = (
        f"{config.jobs} jobs from {config.users} users in {config.chats} groups, "
        f"generation {config.generation_seconds:g} s, video {config.video_mb:g} MB "
        f"({result.warm_up_bytes:,} bytes); {result.cpu_count} CPU cores, Python {result.python}, "
        f"{result.started_at:%Y-%m-%d %H:%M} UTC"
    )
    lines = [f"**{title}**", ""]
    lines += _table(("Metric", "Value", "Target", "Result"), summary_rows(result))
    lines += ["", *_table(("Measure", "Value"), detail_rows(result))]
    lines += ["", *_table(("Bot API method", "Calls", "Per job", "429 answers"), calls_table(result))]
    if result.bot_log_problems:
        lines += ["", "First problems in the bot's log:", "", "```"]
        lines += list(result.bot_log_problems[:SHOWN_LOG_LINES])
        lines += ["```"]
    if result.timed_out:
        lines += ["", f"The run timed out after {config.deliver_timeout:.0f} s: jobs were lost."]
    return "\n".join(lines)
