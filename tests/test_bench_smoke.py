"""The benchmark, tiny: the real bot and both fakes as processes, `bench.run`'s code path; and its report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.metrics import Deliveries, MethodCalls, Spread
from bench.procstat import MemoryPeak
from bench.report import render, shapes_table, summary_rows
from bench.run import CUSTOM, parse_runs
from bench.scenario import BenchConfig, BenchResult, run_benchmark
from bench.shapes import SHAPES
from bench.targets import Targets

pytestmark = pytest.mark.timeout(60)


def tiny(workdir: Path, **shape: Any) -> BenchConfig:
    """A run of a few seconds that keeps its raw data in `workdir`."""
    return BenchConfig(settle_seconds=0.3, deliver_timeout=30, workdir=workdir, **shape)


async def test_six_jobs_are_delivered_exactly_once_and_measured(tmp_path: Path) -> None:
    config = tiny(tmp_path, jobs=6, users=6, chats=3, generation_seconds=0.5, video_mb=0.2)

    result = await run_benchmark(config)

    deliveries = result.deliveries
    assert (deliveries.expected, deliveries.once, deliveries.lost, deliveries.duplicated) == (6, 6, (), {})
    assert deliveries.strays == 0 and result.complete and not result.timed_out
    assert result.job_states == {"delivered": 6}
    assert result.notified == 6
    assert result.bot_exit_code == 0
    assert result.bot_log_problems == ()
    # Overhead is what the bot adds on top of the gateway's generation time: positive, and bounded.
    assert result.overhead is not None and result.overhead.count == 6
    assert 0 < result.overhead.median <= result.overhead.p95 <= result.overhead.maximum < 20
    # Two jobs per group never meet a limit, so the floor is the generation time itself.
    assert result.over_floor is not None and result.over_floor.count == 6
    assert result.over_floor.median == pytest.approx(result.overhead.median)
    assert result.first_answer is not None and result.first_answer.count == 6
    assert result.first_answer_floor == Spread(count=6, median=0.0, p95=0.0, maximum=0.0)
    assert result.final_status_latency is not None and result.final_status_latency.count == 6
    # A Python process with PTB and PyAV loaded is tens of MB; the peak comes from the kernel's VmHWM.
    assert 20 * 2**20 < result.memory.peak_bytes < 2**30
    assert result.memory.peak_bytes >= result.memory.high_water_mark_bytes > 0
    calls = {entry.method: entry.total for entry in result.calls}
    assert calls["sendVideo"] == 6 and calls["sendMessage"] == 6
    assert result.too_many_requests == 0  # 2 jobs per group stay far below Telegram's limits
    assert result.cpu_seconds["bot"] > 0
    for name in ("bot.log", "fake-bot-api.log", "fake-gateway.log", "calls.jsonl", "injected.jsonl"):
        assert (tmp_path / name).exists(), name
    jobs = [json.loads(line) for line in (tmp_path / "injected.jsonl").read_text().splitlines()]
    assert len(jobs) == 6 and all(job["floor_video"] == pytest.approx(job["time"] + 0.5) for job in jobs)

    table = render(result, Targets(over_floor_p95=60.0), name="tiny")
    assert "**tiny: 6 jobs from 6 users in 3 groups, generation 0.5 s, video 0.2 MB" in table
    assert "| Videos delivered exactly once | 6/6 (lost 0, duplicated 0, stray 0) | all | pass |" in table
    assert "| 429 answers | 0 | 0 | pass |" in table
    assert "| Delivery overhead above the floor, p95 | " in table and "| < 60 s | pass |" in table


async def test_rounds_in_a_private_chat_wait_for_the_round_before(tmp_path: Path) -> None:
    # One job per round and a slow generation keep this inside a private chat's 1 message a second.
    config = tiny(
        tmp_path, jobs=1, users=1, chat_kind="private", rounds=2, generation_seconds=1.5, video_mb=0.1
    )

    result = await run_benchmark(config)

    assert result.complete and result.deliveries.once == 2
    assert result.job_states == {"delivered": 2}
    first, second = [json.loads(line) for line in (tmp_path / "injected.jsonl").read_text().splitlines()]
    assert first["chat_id"] == second["chat_id"] == 700_001
    calls = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    [first_video] = [
        call["time"]
        for call in calls
        if call["method"] == "sendVideo"
        and call["status"] == 200
        and call["replies_to"] == first["message_id"]
    ]
    assert first_video <= second["time"]
    assert result.first_answer is not None and result.first_answer.count == 2

    table = shapes_table([("pair", result, Targets()), ("broken", None, Targets())])

    rows = table.splitlines()
    assert rows[0].startswith("| Shape | Videos delivered exactly once | 429 answers | Delivery overhead")
    assert rows[2].startswith("| pair: 1 job x 2 rounds from 1 user in 1 private chat, generation 1.5 s")
    assert rows[2].count("|") == rows[0].count("|")
    assert rows[3].startswith("| broken | could not run |") and rows[3].count("|") == rows[0].count("|")


def test_the_command_line_builds_the_same_config() -> None:
    sizes = ["--jobs", "6", "--users", "3", "--chats", "2"]
    media = ["--generation-seconds", "0.5", "--video-mb", "0.25"]

    [run] = parse_runs([*sizes, *media, "--bot-env", "MALLOC_ARENA_MAX=2"])

    config = run.config
    assert run.name == CUSTOM and run.targets == Targets()
    assert (config.jobs, config.users, config.chats) == (6, 3, 2)
    assert config.video_bytes == 2**18 and config.generation_seconds == 0.5
    assert config.concurrency == 6 and config.jobs_per_user == 2
    assert config.bot_env == (("MALLOC_ARENA_MAX", "2"),)


def test_a_shape_takes_overrides_and_all_runs_every_shape_in_its_own_folder(tmp_path: Path) -> None:
    [run] = parse_runs(["--shape", "one-user", "--generation-seconds", "1", "--bot-env", "A=b"])

    assert run.name == "one-user" and run.targets == SHAPES["one-user"].targets
    assert (run.config.jobs, run.config.rounds, run.config.chat_kind) == (4, 5, "private")
    assert run.config.generation_seconds == 1.0
    assert run.config.bot_env == (("MAX_ACTIVE_JOBS_PER_USER", "4"), ("ADMIN_USER_IDS", "700001"), ("A", "b"))

    runs = parse_runs(["--all", "--workdir", str(tmp_path)])

    assert [one.name for one in runs] == ["groups", "private", "one-group", "one-user", "light", "big"]
    assert [one.config.workdir for one in runs] == [tmp_path / one.name for one in runs]
    assert [one.config.total_jobs for one in runs] == [200, 200, 40, 20, 20, 50]
    assert runs[-1].config.video_bytes == 45 * 2**20


def measured(**changes: Any) -> BenchResult:
    """A finished run built by hand: 4 jobs in 2 groups, numbers chosen for the report's columns."""
    fields: dict[str, Any] = {
        "config": BenchConfig(jobs=4, users=4, chats=2),
        "started_at": datetime(2026, 12, 1, 22, 0, tzinfo=UTC),
        "cpu_count": 2,
        "python": "3.11.7",
        "deliveries": Deliveries(expected=4, once=4, lost=(), duplicated={}, strays=0),
        "over_floor": Spread(count=4, median=0.2, p95=0.4, maximum=0.4),
        "overhead": Spread(count=4, median=0.2, p95=0.4, maximum=0.4),
        "first_answer": Spread(count=4, median=0.5, p95=1.25, maximum=1.25),
        "first_answer_floor": Spread(count=4, median=0.0, p95=0.5, maximum=0.5),
        "final_status_latency": None,
        "progress_gap": Spread(count=3, median=1.5, p95=3.0, maximum=3.0),
        "notified": 4,
        "injection_seconds": 0.1,
        "burst_seconds": 6.0,
        "startup_seconds": 1.0,
        "memory": MemoryPeak(
            peak_bytes=130 * 2**20,
            high_water_mark_bytes=130 * 2**20,
            polled_peak_bytes=0,
            descendants_seen=0,
            samples=1,
        ),
        "calls": [
            MethodCalls("editMessageText", 6, 1),
            MethodCalls("sendMessage", 4, 0),
            MethodCalls("sendVideo", 4, 0),
            MethodCalls("getUpdates", 9, 0),
        ],
        "cpu_seconds": {"bot": 2.5, "fake Bot API": 1.0},
        "bot_exit_code": 0,
        "bot_log_problems": (),
        "job_states": {"delivered": 4},
        "timed_out": False,
        "warm_up_bytes": 1000,
        "load_before": 0.1,
        "load_after": 0.2,
    }
    fields.update(changes)
    return BenchResult(**fields)


def test_every_measure_is_checked_against_the_shapes_targets() -> None:
    targets = Targets(over_floor_p95=0.5, first_answer_over_floor=1.0, peak_rss_mb=120)

    rows = summary_rows(measured(), targets)

    assert rows == [
        ("Videos delivered exactly once", "4/4 (lost 0, duplicated 0, stray 0)", "all", "pass"),
        ("429 answers", "1", "0", "**miss**"),
        ("Delivery overhead above the floor, p95", "0.40 s", "< 0.5 s", "pass"),
        ("First answer after the command, p95 (floor)", "1.25 s (floor 0.50 s)", "< floor + 1 s", "pass"),
        ("Peak RSS of the bot", "130.0 MB", "< 120 MB", "**miss**"),
        (
            "Telegram calls per job",
            "3.50 (editMessageText 1.50, sendMessage 1.00, sendVideo 1.00)",
            "-",
            "-",
        ),
        ("Largest gap between progress updates", "median 1.50 s · p95 3.00 s (3 of 4 jobs)", "-", "-"),
        ("CPU seconds of the bot", "2.5 s", "-", "-"),
    ]


def test_an_absolute_first_answer_target_and_a_run_without_targets() -> None:
    late = measured(first_answer=Spread(count=3, median=0.2, p95=0.35, maximum=0.4), over_floor=None)

    light = summary_rows(late, Targets(over_floor_p95=0.3, first_answer_p95=0.3))
    custom = summary_rows(late, Targets())

    assert light[2] == ("Delivery overhead above the floor, p95", "n/a (0 of 4 jobs)", "< 0.3 s", "**miss**")
    assert light[3] == (
        "First answer after the command, p95 (floor)",
        "0.35 s (floor 0.50 s) (3 of 4 jobs)",
        "< 0.3 s",
        "**miss**",
    )
    assert [row[2:] for row in custom] == [("all", "pass"), ("0", "**miss**")] + [("-", "-")] * 6


def test_the_shapes_table_has_one_row_per_shape_with_a_verdict_per_target() -> None:
    lost = measured(deliveries=Deliveries(expected=4, once=3, lost=((-1, 5),), duplicated={}, strays=0))
    runs = [
        ("groups", measured(), SHAPES["groups"].targets),
        ("light", lost, SHAPES["light"].targets),
        ("big", None, SHAPES["big"].targets),
    ]

    lines = shapes_table(runs).splitlines()

    assert lines[0] == (
        "| Shape | Videos delivered exactly once | 429 answers | Delivery overhead above the floor, p95 "
        "| First answer after the command, p95 (floor) | Peak RSS of the bot | Telegram calls per job "
        "| Largest gap between progress updates | CPU seconds of the bot |"
    )
    assert len(lines) == 5
    groups = [cell.strip() for cell in lines[2].split("|")[1:-1]]
    assert groups == [
        "groups: 4 jobs from 4 users in 2 groups, generation 5 s, video 5 MB",
        "4/4 (lost 0, duplicated 0, stray 0) (all: pass)",
        "1 (0: **miss**)",
        "0.40 s (< 0.5 s: pass)",
        "1.25 s (floor 0.50 s) (< floor + 1 s: pass)",
        "130.0 MB (< 120 MB: **miss**)",
        "3.50 (editMessageText 1.50, sendMessage 1.00, sendVideo 1.00)",
        "median 1.50 s · p95 3.00 s (3 of 4 jobs)",
        "2.5 s",
    ]
    light = [cell.strip() for cell in lines[3].split("|")[1:-1]]
    assert light[1] == "3/4 (lost 1, duplicated 0, stray 0) (all: **miss**)"
    assert light[3:5] == ["0.40 s (< 0.3 s: **miss**)", "1.25 s (floor 0.50 s) (< 0.3 s: **miss**)"]
    assert light[5] == "130.0 MB"  # light has no memory target
    assert lines[4] == "| big | could not run |" + "  |" * 7
