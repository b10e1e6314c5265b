"""The named shapes of the benchmark (issue 10's table): what each one runs and the targets it must meet."""

from __future__ import annotations

from dataclasses import dataclass

from bench.scenario import FIRST_USER_ID, BenchConfig
from bench.targets import Targets

ONE_USER_JOBS = 4


@dataclass(frozen=True)
class Shape:
    """A named benchmark run and its targets."""

    name: str
    config: BenchConfig
    targets: Targets


SHAPES: dict[str, Shape] = {
    shape.name: shape
    for shape in (
        Shape(
            "groups",
            BenchConfig(jobs=200, users=200, chats=20, video_mb=5),
            Targets(over_floor_p95=0.5, first_answer_over_floor=1.0, peak_rss_mb=120),
        ),
        Shape(
            "private",
            BenchConfig(jobs=200, users=200, chat_kind="private", video_mb=5),
            Targets(over_floor_p95=0.5, first_answer_over_floor=1.0, peak_rss_mb=120),
        ),
        Shape("one-group", BenchConfig(jobs=40, users=40, chats=1), Targets(over_floor_p95=0.5)),
        Shape(
            "one-user",
            BenchConfig(
                jobs=ONE_USER_JOBS,
                users=1,
                chat_kind="private",
                rounds=5,
                # Four jobs at once need a higher per-user limit; an admin is never refused for budget.
                bot_env=(
                    ("MAX_ACTIVE_JOBS_PER_USER", str(ONE_USER_JOBS)),
                    ("ADMIN_USER_IDS", str(FIRST_USER_ID)),
                ),
            ),
            Targets(over_floor_p95=0.5),
        ),
        Shape(
            "light",
            BenchConfig(jobs=20, users=20, chats=20, video_mb=5),
            Targets(over_floor_p95=0.3, first_answer_p95=0.3),
        ),
        Shape("big", BenchConfig(jobs=50, users=50, chats=20, video_mb=45), Targets(peak_rss_mb=160)),
    )
}
