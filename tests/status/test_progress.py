"""Tests for the progress reducer and the status message renderer."""

from __future__ import annotations

import dataclasses
import re
from functools import partial
from html.parser import HTMLParser

import pytest

from bot.gateway.events import Progress, VideoReady
from bot.i18n import Translator
from bot.status.progress import (
    Failed,
    JobProgress,
    PhaseChanged,
    ProgressEvent,
    TaskPolled,
    Tick,
    accumulate,
    format_elapsed,
    progress_bar,
    render,
)

LANGUAGES = ("en", "zh")


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator()


def start(**changes: object) -> JobProgress:
    progress = JobProgress.begin(prompt="a fox running through snow", model="veo-3.1-fast", at=1000.0)
    return dataclasses.replace(progress, **changes)  # type: ignore[arg-type]


def fold(progress: JobProgress, *events: ProgressEvent) -> JobProgress:
    for event in events:
        progress = accumulate(progress, event)
    return progress


class _TelegramHTMLChecker(HTMLParser):
    """Fails on tags Telegram does not know or on unbalanced tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ("b", "i"), tag
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(message: str) -> str:
    """The text Telegram would show; asserts the HTML is valid for parse_mode HTML."""
    checker = _TelegramHTMLChecker()
    checker.feed(message)
    checker.close()
    assert checker.open == []
    # Telegram wants every "&" written as an entity.
    assert re.search(r"&(?!(?:amp|lt|gt|quot);)", message) is None
    return "".join(checker.text)


# --- the reducer -------------------------------------------------------------------------------


def test_begin_is_queued_with_nothing_known() -> None:
    progress = JobProgress.begin(prompt="p", model="m", at=5.0, videos_total=2, queue_position=1)
    assert progress.phase == "queued"
    assert progress.percent is None
    assert progress.queue_position == 1
    assert progress.elapsed == 0.0
    assert (progress.videos_total, progress.videos_ready) == (2, 0)


def test_accumulate_returns_a_new_snapshot_and_leaves_the_old_one_alone() -> None:
    before = start()
    after = accumulate(before, Progress(percent=30.0))
    assert before.percent is None and before.phase == "queued"
    assert after.percent == 30.0 and after.phase == "generating"
    with pytest.raises(dataclasses.FrozenInstanceError):
        after.percent = 50.0  # type: ignore[misc]


def test_tick_moves_time_forward_only() -> None:
    progress = fold(start(), Tick(1042.0), Tick(1010.0))
    assert progress.now == 1042.0
    assert progress.elapsed == 42.0


def test_percent_never_goes_backwards_and_is_clamped() -> None:
    progress = fold(start(), Progress(40.0), Progress(25.0))
    assert progress.percent == 40.0
    progress = fold(progress, Progress(140.0))
    assert progress.percent == 100.0
    assert fold(start(), Progress(-5.0)).percent == 0.0
    assert fold(start(), Progress(30.0), Progress(float("nan"))).percent == 30.0


def test_stream_progress_is_fine_grained_and_leaves_the_queue() -> None:
    progress = fold(start(queue_position=2), Progress(12.5))
    assert progress.coarse is False
    assert progress.queue_position is None
    assert progress.phase == "generating"


def test_task_polls_carry_status_and_coarse_progress() -> None:
    progress = fold(start(), PhaseChanged("submitting"), TaskPolled("Queued", None, True))
    assert progress.phase == "generating"
    assert progress.upstream_status == "queued"
    assert progress.coarse is True
    assert progress.percent is None
    progress = fold(progress, TaskPolled("processing", 50.0, True), TaskPolled("processing", 0.0, True))
    assert progress.percent == 50.0
    assert progress.upstream_status == "processing"


def test_events_do_not_pull_a_later_phase_back_to_generating() -> None:
    progress = fold(start(), PhaseChanged("downloading"), Progress(100.0), TaskPolled("completed", 100.0))
    assert progress.phase == "downloading"


def test_video_ready_counts_videos() -> None:
    progress = fold(start(videos_total=3), VideoReady("https://x/0.mp4", 0), VideoReady("https://x/1.mp4", 1))
    assert (progress.videos_ready, progress.videos_total) == (2, 3)
    # More videos than expected never leaves "ready" above "total".
    progress = fold(start(), VideoReady("a", 0), VideoReady("b", 1))
    assert (progress.videos_ready, progress.videos_total) == (2, 2)


def test_queue_position_only_while_queued() -> None:
    progress = fold(start(), PhaseChanged("queued", queue_position=3))
    assert progress.queue_position == 3
    progress = fold(progress, PhaseChanged("queued", queue_position=1))
    assert progress.queue_position == 1
    assert fold(progress, PhaseChanged("submitting", queue_position=7)).queue_position is None


def test_failure_is_final() -> None:
    failed = fold(start(), Tick(1010.0), Failed("gateway-content-policy", {"reason": "PUBLIC_ERROR"}))
    assert failed.phase == "failed"
    assert failed.failure_key == "gateway-content-policy"
    assert failed.failure_args == {"reason": "PUBLIC_ERROR"}
    later = fold(failed, Tick(2000.0), Progress(90.0), PhaseChanged("delivered"), Failed("other"))
    assert later == failed
    assert later.elapsed == 10.0


def test_delivered_is_final() -> None:
    delivered = fold(start(), Progress(100.0), PhaseChanged("delivered"))
    assert fold(delivered, Failed("x"), Tick(5000.0), PhaseChanged("queued")) == delivered


def test_snapshots_are_hashable() -> None:
    assert hash(fold(start(), Failed("x", {"a": "b"}))) == hash(fold(start(), Failed("x", {"a": "b"})))


# --- small formatting helpers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "bar"),
    [
        (0, "▱▱▱▱▱▱▱▱▱▱"),
        (4, "▱▱▱▱▱▱▱▱▱▱"),
        (47, "▰▰▰▰▰▱▱▱▱▱"),
        (50, "▰▰▰▰▰▱▱▱▱▱"),
        (96, "▰▰▰▰▰▰▰▰▰▱"),  # never looks complete before it is
        (99.9, "▰▰▰▰▰▰▰▰▰▱"),
        (100, "▰▰▰▰▰▰▰▰▰▰"),
    ],
)
def test_progress_bar(percent: float, bar: str) -> None:
    assert progress_bar(percent) == bar


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00"), (-3, "0:00"), (42.9, "0:42"), (65, "1:05"), (725, "12:05"), (3723, "1:02:03")],
)
def test_format_elapsed(seconds: float, text: str) -> None:
    assert format_elapsed(seconds) == text


# --- rendering ---------------------------------------------------------------------------------


def test_sync_generation_shows_a_real_bar(translator: Translator) -> None:
    progress = fold(start(), PhaseChanged("submitting"), Progress(47.6), Tick(1042.0))
    assert render(progress, partial(translator, "en")) == (
        "🎬 <b>Generating video</b>\n"
        "<i>a fox running through snow</i>\n"
        "Model: veo-3.1-fast · 1 clip\n"
        "▰▰▰▰▰▱▱▱▱▱ 47%\n"
        "⏱ 0:42"
    )


def test_generation_without_percent_yet(translator: Translator) -> None:
    text = render(fold(start(), PhaseChanged("generating")), partial(translator, "en"))
    assert "Rendering" in text
    assert "▰" not in text and "▱" not in text


@pytest.mark.parametrize(
    ("status", "percent", "stage", "step"),
    [
        ("queued", None, "Queued at the gateway", "step 1 of 3"),
        ("pending", 0.0, "Queued at the gateway", "step 1 of 3"),
        ("processing", None, "Rendering", "step 2 of 3"),
        ("processing", 50.0, "Rendering", "step 2 of 3"),
        ("processing", 100.0, "Finishing", "step 3 of 3"),
        ("completed", None, "Finishing", "step 3 of 3"),
    ],
)
def test_coarse_progress_shows_steps_not_a_bar(
    translator: Translator, status: str, percent: float | None, stage: str, step: str
) -> None:
    model = "veo-3.1-generate-preview"
    progress = fold(start(model=model), TaskPolled(status, percent, True), Tick(1125.0))
    text = render(progress, partial(translator, "en"))
    assert f"{stage} · {step}" in text
    assert "▰" not in text and "▱" not in text and "%" not in text
    assert "⏱ 2:05" in text
    assert f"Model: {model} · 1 clip" in text


def test_fine_grained_task_polls_draw_a_bar(translator: Translator) -> None:
    progress = fold(start(), TaskPolled("processing", 30.0, coarse=False))
    assert "▰▰▰▱▱▱▱▱▱▱ 30%" in render(progress, partial(translator, "en"))


@pytest.mark.parametrize(
    ("ahead", "en", "zh"),
    [
        (3, "⏳ In line: 3 jobs ahead", "⏳ 排队中：前面还有 3 个任务"),
        (1, "⏳ In line: 1 job ahead", "⏳ 排队中：前面还有 1 个任务"),
        (0, "⏳ You're next in line", "⏳ 下一个就轮到你了"),
    ],
)
def test_local_queue(translator: Translator, ahead: int, en: str, zh: str) -> None:
    progress = fold(start(), PhaseChanged("queued", queue_position=ahead), Tick(1005.0))
    english = render(progress, partial(translator, "en"))
    assert en in english
    assert "⏱ 0:05" in english
    assert zh in render(progress, partial(translator, "zh"))


def test_several_videos(translator: Translator) -> None:
    progress = fold(start(videos_total=2), Progress(60.0), VideoReady("u", 0))
    en = render(progress, partial(translator, "en"))
    assert "<b>Generating 2 videos</b>" in en
    assert "Model: veo-3.1-fast · 2 clips" in en
    assert "🎞 1 of 2 videos ready" in en
    zh = render(progress, partial(translator, "zh"))
    assert "<b>正在生成 2 个视频</b>" in zh
    assert "已完成 1/2 个视频" in zh


@pytest.mark.parametrize(
    ("phase", "en", "zh"),
    [
        ("submitting", "📨 <b>Sending your request</b>", "📨 <b>正在提交请求</b>"),
        ("downloading", "📥 <b>Fetching your video</b>", "📥 <b>正在获取视频</b>"),
        ("uploading", "📤 <b>Sending you the video</b>", "📤 <b>正在把视频发给你</b>"),
    ],
)
def test_transfer_phases(translator: Translator, phase: str, en: str, zh: str) -> None:
    progress = fold(start(), Progress(100.0), PhaseChanged(phase), Tick(1061.0))  # type: ignore[arg-type]
    english = render(progress, partial(translator, "en"))
    assert english.startswith(en)
    assert english.endswith("⏱ 1:01")
    assert "▰" not in english
    assert render(progress, partial(translator, "zh")).startswith(zh)


def test_failed_shows_the_callers_reason_and_no_charge(translator: Translator) -> None:
    progress = fold(
        start(), Progress(30.0), Tick(1020.0), Failed("progress-step", {"step": "2", "total": "3"})
    )
    # Any Fluent key works as a reason; here an existing one so the test needs no other file.
    text = render(progress, partial(translator, "en"))
    assert text.splitlines()[0] == "❌ step 2 of 3"
    assert text.splitlines()[-1] == "Nothing was charged."
    assert "▰" not in text
    assert render(progress, partial(translator, "zh")).splitlines()[-1] == "本次未扣费。"


def test_failed_reason_is_escaped(translator: Translator) -> None:
    def translate(key: str, /, **args: object) -> str:
        return f"<{key}> & {args}" if key == "custom-reason" else translator("en", key, **args)

    text = render(fold(start(), Failed("custom-reason", {"why": "x"})), translate)
    assert text.startswith("❌ &lt;custom-reason&gt; &amp; {'why': 'x'}")
    visible_text(text)


def test_failed_without_key(translator: Translator) -> None:
    progress = dataclasses.replace(start(), phase="failed")
    assert "Something went wrong" in render(progress, partial(translator, "en"))


def test_delivered_summary(translator: Translator) -> None:
    progress = fold(
        start(), Progress(100.0), PhaseChanged("uploading"), Tick(1102.0), PhaseChanged("delivered")
    )
    assert render(progress, partial(translator, "en")) == (
        "✅ <b>Your video is ready</b>\n"
        "<i>a fox running through snow</i>\n"
        "Model: veo-3.1-fast · 1 clip\n"
        "⏱ Done in 1:42"
    )
    assert render(progress, partial(translator, "zh")).startswith("✅ <b>视频已生成</b>")


def test_delivered_partly(translator: Translator) -> None:
    progress = fold(start(videos_total=3), VideoReady("a", 0), VideoReady("b", 1), PhaseChanged("delivered"))
    text = render(progress, partial(translator, "en"))
    assert "<b>Your 2 videos are ready</b>" in text
    assert "Only 2 of 3 videos could be made." in text


def test_prompt_is_escaped_and_cut(translator: Translator) -> None:
    progress = start(prompt="<b>bold</b> & 'quotes' \"double\"\nsecond line")
    text = render(progress, partial(translator, "en"))
    assert "<i>&lt;b&gt;bold&lt;/b&gt; &amp; 'quotes' \"double\" second line</i>" in text
    long = render(start(prompt="fox " * 200), partial(translator, "en"))
    prompt_line = long.splitlines()[1]
    assert prompt_line.endswith("…</i>")
    assert len(prompt_line) <= len("<i></i>") + 300


def test_empty_prompt_has_no_prompt_line(translator: Translator) -> None:
    text = render(start(prompt="  "), partial(translator, "en"))
    assert "<i>" not in text


ALL_STATES = [
    start(queue_position=4),
    start(queue_position=None),
    fold(start(), PhaseChanged("submitting")),
    fold(start(), PhaseChanged("generating")),
    fold(start(videos_total=4), Progress(33.0), VideoReady("u", 0)),
    fold(start(), TaskPolled("queued", None, True)),
    fold(start(), TaskPolled("processing", 50.0, True)),
    fold(start(), TaskPolled("completed", 100.0, True)),
    fold(start(videos_total=2), PhaseChanged("downloading")),
    fold(start(videos_total=2), PhaseChanged("uploading")),
    fold(start(videos_total=2), VideoReady("u", 0), PhaseChanged("delivered")),
    fold(start(), PhaseChanged("delivered")),
    fold(start(), Failed("progress-failed-unknown")),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("state", ALL_STATES)
def test_every_state_renders_valid_html_in_every_language(
    translator: Translator, language: str, state: JobProgress
) -> None:
    text = render(state, partial(translator, language))
    shown = visible_text(text)
    # The Translator shows a missing key as the key itself.
    assert "progress-" not in shown
    if language == "zh":
        assert text != render(state, partial(translator, "en"))


@pytest.mark.parametrize("state", ALL_STATES)
def test_worst_case_input_stays_under_telegrams_limit(translator: Translator, state: JobProgress) -> None:
    def translate(key: str, /, **args: object) -> str:
        return "&" * 5000 if key == "huge-reason" else translator("en", key, **args)

    state = dataclasses.replace(state, prompt="&" * 10_000, model="<" * 500, now=state.started_at + 10**7)
    if state.phase == "failed":
        state = dataclasses.replace(state, failure_key="huge-reason")
    text = render(state, translate)
    assert len(text) < 4096
    visible_text(text)
