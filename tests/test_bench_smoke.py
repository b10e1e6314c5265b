"""The benchmark, tiny: the real bot process, both fakes as processes, the same code path as `bench.run`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.report import render
from bench.run import parse_config
from bench.scenario import BenchConfig, run_benchmark

pytestmark = pytest.mark.timeout(60)


async def test_six_jobs_are_delivered_exactly_once_and_measured(tmp_path: Path) -> None:
    config = BenchConfig(
        jobs=6,
        users=6,
        chats=3,
        generation_seconds=0.5,
        video_mb=0.2,
        settle_seconds=0.3,
        deliver_timeout=30,
        workdir=tmp_path,
    )

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
    assert result.status_latency is not None and result.status_latency.count == 6
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
    assert len((tmp_path / "injected.jsonl").read_text().splitlines()) == 6

    table = render(result)
    assert (
        "| Videos delivered | 6/6 exactly once (lost 0, duplicated 0, stray 0) | all, exactly once | pass |"
        in table
    )
    assert "| 429 answers from the fake Bot API | 0 | 0 | pass |" in table
    assert "Bot overhead per job, p95" in table and "Peak RSS of the bot process" in table


def test_the_command_line_builds_the_same_config() -> None:
    sizes = ["--jobs", "6", "--users", "3", "--chats", "2"]
    media = ["--generation-seconds", "0.5", "--video-mb", "0.25"]

    config = parse_config([*sizes, *media, "--bot-env", "MALLOC_ARENA_MAX=2"])

    assert (config.jobs, config.users, config.chats) == (6, 3, 2)
    assert config.video_bytes == 2**18 and config.generation_seconds == 0.5
    assert config.concurrency == 6 and config.jobs_per_user == 2
    assert config.bot_env == (("MALLOC_ARENA_MAX", "2"),)
