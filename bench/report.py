"""The benchmark's result as a markdown table: each metric, its target, and whether the run met it."""

from __future__ import annotations

from collections.abc import Sequence

from bench.metrics import LONG_POLL_METHOD, Spread
from bench.scenario import MB, BenchResult
from bench.targets import Check, Targets, check, seconds

SHOWN_LOG_LINES = 5
UNMEASURED = "could not run"


def _verdict(met: bool | None) -> str:
    if met is None:
        return "-"
    return "pass" if met else "**miss**"


def _spread(spread: Spread | None) -> str:
    if spread is None:
        return "n/a"
    return f"median {spread.median:.2f} s · p95 {spread.p95:.2f} s · max {spread.maximum:.2f} s"


def summary_rows(result: BenchResult, targets: Targets) -> list[tuple[str, str, str, str]]:
    """(measure, value, target, verdict) for the main table."""
    return [(item.measure, item.value, item.target, _verdict(item.met)) for item in check(result, targets)]


def detail_rows(result: BenchResult) -> list[tuple[str, str]]:
    """(measure, value) for the details under the table."""
    config = result.config
    cpu = ", ".join(f"{name} {used:.1f} s" for name, used in result.cpu_seconds.items())
    states = ", ".join(f"{state} {count}" for state, count in sorted(result.job_states.items())) or "n/a"
    memory = result.memory
    return [
        ("Delivery overhead above the floor", _spread(result.over_floor)),
        ("Video after the message, minus the generation time", _spread(result.overhead)),
        ("First answer after the command", _spread(result.first_answer)),
        ("Telegram's floor for the first answer", _spread(result.first_answer_floor)),
        ("Largest gap between progress updates", _spread(result.progress_gap)),
        ("Final status (last edit) after the user's message", _spread(result.final_status_latency)),
        ("Final states written before the bot was stopped", f"{result.notified}/{config.total_jobs}"),
        ("Injecting all messages took", seconds(result.injection_seconds)),
        ("First message to last video", seconds(result.burst_seconds)),
        ("Bot start-up (process start to deleteWebhook)", seconds(result.startup_seconds)),
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
            f"GENERATION_MODE={config.mode}, MAX_CONCURRENT_JOBS={config.concurrency}, model veo-3.1-fast"
            + "".join(f", {name}={value}" for name, value in config.bot_env),
        ),
    ]


def calls_table(result: BenchResult) -> list[tuple[str, str, str, str]]:
    """(method, calls, per job, 429s) for every Bot API method the bot used while the jobs ran."""
    jobs = result.config.total_jobs
    rows = []
    for entry in result.calls:
        per_job = "-" if entry.method == LONG_POLL_METHOD else f"{entry.total / jobs:.2f}"
        rows.append((entry.method, str(entry.total), per_job, str(entry.too_many_requests)))
    return rows


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows)
    return lines


def render(result: BenchResult, targets: Targets | None = None, *, name: str = "custom") -> str:
    """The whole report of one run as markdown."""
    config = result.config
    title = (
        f"{name}: {config.describe()} ({result.warm_up_bytes:,} bytes); {result.cpu_count} CPU cores, "
        f"Python {result.python}, {result.started_at:%Y-%m-%d %H:%M} UTC"
    )
    lines = [f"**{title}**", ""]
    lines += _table(("Measure", "Value", "Target", "Result"), summary_rows(result, targets or Targets()))
    lines += ["", *_table(("Measure", "Value"), detail_rows(result))]
    lines += ["", *_table(("Bot API method", "Calls", "Per job", "429 answers"), calls_table(result))]
    if result.bot_log_problems:
        lines += ["", "First problems in the bot's log:", "", "```"]
        lines += list(result.bot_log_problems[:SHOWN_LOG_LINES])
        lines += ["```"]
    if result.timed_out:
        lines += ["", f"The run timed out after {config.deliver_timeout:.0f} s: jobs were lost."]
    return "\n".join(lines)


def _cell(item: Check) -> str:
    if item.met is None:
        return item.value
    return f"{item.value} ({item.target}: {_verdict(item.met)})"


def shapes_table(runs: Sequence[tuple[str, BenchResult | None, Targets]]) -> str:
    """One row per shape (None: the shape could not run), one column per headline measure."""
    header: tuple[str, ...] = ("Shape",)
    rows: list[tuple[str, ...]] = []
    for name, result, targets in runs:
        if result is None:
            rows.append((name, UNMEASURED))
            continue
        checks = check(result, targets)
        header = ("Shape", *(item.measure for item in checks))
        rows.append((f"{name}: {result.config.describe()}", *(_cell(item) for item in checks)))
    width = len(header)
    return "\n".join(_table(header, [row + ("",) * (width - len(row)) for row in rows]))
