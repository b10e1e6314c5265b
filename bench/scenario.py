"""The benchmark run: start the fakes and the real bot, inject the jobs, wait, measure, stop everything."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import platform
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from bench.artifacts import save_artifacts
from bench.control import BotApiControl
from bench.floor import job_floors
from bench.ledger import LedgerJob, finished_messages, notified_count, read_jobs
from bench.metrics import (
    LONG_POLL_METHOD,
    Deliveries,
    MethodCalls,
    Spread,
    calls_by_method,
    count_deliveries,
    delays,
    edit_times,
    first_answers,
    largest_progress_gap,
    last_activity,
    last_edits,
)
from bench.processes import (
    REPO_ROOT,
    Child,
    first_line,
    python_environment,
    start_python,
    stop,
    stopped_at_exit,
)
from bench.procstat import MemoryPeak, MemoryWatch, cpu_seconds, load_average
from bench.warmup import warm_up_gateway
from bench.wire import ApiCall, ChatMessage, MessageKey
from bot.settings import Settings

logger = logging.getLogger(__name__)

MB = 1024 * 1024
BOT_TOKEN = "123456:BENCH-TOKEN-not-a-real-one"  # noqa: S105 - the fake server's token
API_KEY = "sk-bench-key-not-a-real-one"
BOT_USERNAME = "veo_bench_bot"
MODEL = "veo-3.1-fast"
FIRST_USER_ID = 700_001
FIRST_GROUP_ID = -1_001_700_000_001  # supergroup ids start with -100
PROMPT = "a paper boat drifting across a pond at dawn"
POLL_PAUSE = 0.5
SETTLE_CAP = 120.0
STARTED_METHODS = frozenset({"deleteWebhook", LONG_POLL_METHOD})
BOT_STOP_TIMEOUT = 45.0
PROGRESS_EVERY = 10.0


ChatKind = Literal["group", "private"]


@dataclass(frozen=True)
class BenchConfig:
    """What to run: how many jobs, users and chats, how long a generation takes, how big a video is.

    With `rounds` > 1 the same `jobs` are sent again once every video of the round before has arrived.
    """

    jobs: int = 200  # per round
    users: int = 200
    chats: int = 20  # group chats; private chats are one per user
    chat_kind: ChatKind = "group"
    rounds: int = 1
    generation_seconds: float = 5.0
    video_mb: float = 5.0
    mode: Literal["sync", "async"] = "sync"
    max_concurrent_jobs: int | None = None  # default: as many as there are jobs
    poll_interval: float = 1.0  # async mode only
    deliver_timeout: float = 480.0
    settle_seconds: float = 5.0
    startup_timeout: float = 60.0
    workdir: Path | None = None  # keep logs, the database and raw data here (default: a temporary folder)
    bot_env: tuple[tuple[str, str], ...] = ()  # extra environment for the bot process (experiments)

    def __post_init__(self) -> None:
        if self.jobs < 1 or self.users < 1 or self.chats < 1 or self.rounds < 1:
            raise ValueError("jobs, users, chats and rounds must be at least 1")
        if self.generation_seconds < 0 or self.video_mb < 0:
            raise ValueError("generation time and video size must not be negative")

    @property
    def video_bytes(self) -> int:
        """The size of every video the fake gateway serves (MB = 2**20 bytes)."""
        return int(self.video_mb * MB)

    @property
    def concurrency(self) -> int:
        """MAX_CONCURRENT_JOBS for the bot."""
        return min(1000, self.max_concurrent_jobs or self.jobs)

    @property
    def jobs_per_user(self) -> int:
        """The most jobs one user has at once."""
        return math.ceil(self.jobs / self.users)

    @property
    def total_jobs(self) -> int:
        """Jobs over all rounds."""
        return self.jobs * self.rounds

    @property
    def chat_count(self) -> int:
        """How many chats the jobs are sent in."""
        return min(self.users, self.jobs) if self.chat_kind == "private" else min(self.chats, self.users)

    def describe(self) -> str:
        """One line: the jobs, their chats, generation time and video size."""
        chats = _count(self.chat_count, "private chat" if self.chat_kind == "private" else "group")
        rounds = f" x {self.rounds} rounds" if self.rounds > 1 else ""
        return (
            f"{_count(self.jobs, 'job')}{rounds} from {_count(self.users, 'user')} in {chats}, "
            f"generation {self.generation_seconds:g} s, video {self.video_mb:g} MB"
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


@dataclass(frozen=True)
class PlannedJob:
    """One user message to inject."""

    user_id: int
    chat_id: int
    text: str
    round: int = 0


@dataclass(frozen=True)
class BenchResult:
    """Everything measured in one run."""

    config: BenchConfig
    started_at: datetime
    cpu_count: int
    python: str
    deliveries: Deliveries
    over_floor: Spread | None  # video at the fake Bot API - Telegram's floor for that video
    overhead: Spread | None  # video at the fake Bot API - message injected - generation time
    first_answer: Spread | None  # the bot's first message replying to the command - message injected
    first_answer_floor: Spread | None  # Telegram's floor for that first answer - message injected
    final_status_latency: Spread | None  # last edit of the status message - message injected
    progress_gap: Spread | None  # per job: the longest a status message stayed unchanged while generating
    notified: int  # jobs whose final state was written before the bot was stopped
    injection_seconds: float
    burst_seconds: float | None  # first injection to last video
    startup_seconds: float
    memory: MemoryPeak
    calls: list[MethodCalls]
    cpu_seconds: dict[str, float]
    bot_exit_code: int | None
    bot_log_problems: tuple[str, ...]
    job_states: dict[str, int]
    timed_out: bool
    warm_up_bytes: int
    load_before: float  # 1-minute load average when the jobs were injected
    load_after: float  # ... and when the last final state was written
    workdir: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def too_many_requests(self) -> int:
        """429 answers from the fake Bot API while the jobs ran."""
        return sum(entry.too_many_requests for entry in self.calls)

    @property
    def complete(self) -> bool:
        """The run itself worked: every job delivered exactly once, nothing timed out."""
        return self.deliveries.complete and not self.timed_out


def plan_jobs(config: BenchConfig) -> list[PlannedJob]:
    """Job j of a round comes from user j mod users, who writes in group (user mod chats) or privately."""
    planned = []
    for round_number in range(config.rounds):
        for number in range(config.jobs):
            user = number % config.users
            user_id = FIRST_USER_ID + user
            private = config.chat_kind == "private"
            take = round_number * config.jobs + number + 1
            command = "/video" if private else f"/video@{BOT_USERNAME}"
            planned.append(
                PlannedJob(
                    user_id=user_id,
                    chat_id=user_id if private else FIRST_GROUP_ID - (user % config.chats),
                    text=f"{command} {PROMPT}, take {take}",
                    round=round_number,
                )
            )
    return planned


def bot_environment(config: BenchConfig, api_root: str, gateway_url: str, folder: Path) -> dict[str, str]:
    """The bot's settings as environment variables; any setting inherited from this shell is dropped."""
    settings = {
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": api_root,
        "APIYI_API_KEY": API_KEY,
        "APIYI_BASE_URL": gateway_url,
        "DATABASE_PATH": str(folder / "bot.sqlite3"),
        "TEMP_DIR": str(folder / "tmp"),
        "GENERATION_MODE": config.mode,
        "DEFAULT_MODEL": MODEL,
        "POLL_INTERVAL_SECONDS": str(config.poll_interval),
        "MAX_CONCURRENT_JOBS": str(config.concurrency),
        "MAX_ACTIVE_JOBS_PER_USER": str(min(100, max(2, config.jobs_per_user))),
        "USER_BUDGET_USD": "1000",
        "GLOBAL_BUDGET_USD": "0",
        "LOG_LEVEL": "WARNING",
        **dict(config.bot_env),
    }
    return python_environment(settings, drop=list(Settings.model_fields))


class CallTracker:
    """Reads the fake's call log incrementally."""

    def __init__(self, control: BotApiControl) -> None:
        self._control = control
        self.calls: list[ApiCall] = []
        self.next_index = 0
        self.videos: dict[MessageKey, float] = {}

    async def refresh(self) -> None:
        """Fetch the calls answered since the last refresh."""
        new, self.next_index = await self._control.calls(self.next_index)
        self.calls.extend(new)
        self.videos.update(
            {key: at for key, at in first_answers(new, "sendVideo").items() if key not in self.videos}
        )

    def since(self, index: int) -> list[ApiCall]:
        """Calls from log index `index` on."""
        return [call for call in self.calls if call.index >= index]


async def run_benchmark(config: BenchConfig) -> BenchResult:
    """Run the whole benchmark once; every process is stopped before this returns."""
    with _folder(config.workdir) as folder:
        result = await _run(config, folder)
    return result


@contextlib.contextmanager
def _folder(workdir: Path | None) -> Iterator[Path]:
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        yield workdir
        return
    with tempfile.TemporaryDirectory(prefix="veo-bench-") as name:
        yield Path(name)


async def _run(config: BenchConfig, folder: Path) -> BenchResult:
    started_at = datetime.now(UTC)
    loop = asyncio.get_running_loop()
    async with contextlib.AsyncExitStack() as stack:
        api_child, gateway_child = await _start_fakes(stack, config, folder)
        api_root, gateway_url = await asyncio.gather(
            first_line(api_child, within=config.startup_timeout),
            first_line(gateway_child, within=config.startup_timeout),
        )
        control = await stack.enter_async_context(BotApiControl(api_root))
        planned = plan_jobs(config)
        await _create_chats(control, planned)

        bot_started = loop.time()
        bot = await start_python(
            "bot",
            ["-m", "bot"],
            log_path=folder / "bot.log",
            cwd=folder,  # no .env is picked up from here
            env=bot_environment(config, api_root, gateway_url, folder),
            # Orphaned, the bot would find its fakes gone and a graceful stop can hang: kill it outright.
            death_signal=signal.SIGKILL,
        )
        await stack.enter_async_context(stopped_at_exit(bot))
        tracker = CallTracker(control)
        warm_up = asyncio.ensure_future(
            warm_up_gateway(gateway_url, API_KEY, MODEL, generation_seconds=config.generation_seconds)
        )
        try:
            await _until_started(tracker, bot, within=config.startup_timeout)
            startup_seconds = loop.time() - bot_started
            warm_up_bytes = await warm_up
        finally:
            warm_up.cancel()
        logger.info("bot started in %.1f s; injecting %d jobs", startup_seconds, config.jobs)

        watch = MemoryWatch(bot.pid)
        watch.start()
        stack.push_async_callback(watch.finish)  # stops polling if anything below fails
        children = {"bot": bot, "fake Bot API": api_child, "fake gateway": gateway_child}
        cpu_before = {name: cpu_seconds(child.pid) or 0.0 for name, child in children.items()}
        load_before = load_average()
        await tracker.refresh()
        first_index = tracker.next_index
        injected, injection_seconds, timed_out = await _inject_rounds(
            control, tracker, planned, bot, config, folder
        )
        database = folder / "bot.sqlite3"
        notified = await _until_notified(database, len(injected), bot, within=0 if timed_out else SETTLE_CAP)
        await _until_quiet(tracker, bot, quiet=config.settle_seconds)
        memory = await watch.finish()
        load_after = load_average()
        cpu_used = {
            name: (cpu_seconds(child.pid) or cpu_before[name]) - cpu_before[name]
            for name, child in children.items()
        }
        bot_exit_code = await stop(bot, grace=BOT_STOP_TIMEOUT)
        await tracker.refresh()
        messages: list[tuple[int, ChatMessage]] = []
        for chat_id in sorted({job.chat_id for job in planned}):
            messages.extend((chat_id, message) for message in await control.messages(chat_id))

    measured = tracker.since(first_index)
    statuses = first_answers(measured, "sendMessage")
    videos = first_answers(measured, "sendVideo")
    ledger = await asyncio.to_thread(read_jobs, database)
    floors = job_floors(injected, config.generation_seconds)
    if config.workdir is not None:
        await asyncio.to_thread(
            save_artifacts,
            folder,
            injected=injected,
            floors=floors,
            calls=tracker.calls,
            memory_timeline=memory.timeline,
        )
    first_sent = min(injected.values())
    return BenchResult(
        config=config,
        started_at=started_at,
        cpu_count=os.cpu_count() or 0,
        python=platform.python_version(),
        deliveries=count_deliveries(injected, messages),
        over_floor=Spread.of(delays({key: floor.video for key, floor in floors.items()}, videos)),
        overhead=Spread.of(delays(injected, videos, minus=config.generation_seconds)),
        first_answer=Spread.of(delays(injected, statuses)),
        first_answer_floor=Spread.of(delays(injected, {key: floor.ack for key, floor in floors.items()})),
        final_status_latency=Spread.of(delays(injected, _final_edits(ledger, measured))),
        progress_gap=Spread.of(
            _progress_gaps(ledger, measured, statuses, injected, generation_seconds=config.generation_seconds)
        ),
        notified=notified,
        injection_seconds=injection_seconds,
        burst_seconds=max(videos.values()) - first_sent if videos else None,
        startup_seconds=startup_seconds,
        memory=memory,
        calls=calls_by_method(measured),
        cpu_seconds=cpu_used,
        bot_exit_code=bot_exit_code,
        bot_log_problems=_log_problems(folder / "bot.log"),
        job_states=dict(Counter(job.state for job in ledger)),
        timed_out=timed_out,
        warm_up_bytes=warm_up_bytes,
        load_before=load_before,
        load_after=load_after,
        workdir=config.workdir,
    )


async def _start_fakes(
    stack: contextlib.AsyncExitStack, config: BenchConfig, folder: Path
) -> tuple[Child, Child]:
    """Start the fake Bot API (flood limits on) and the fake gateway; both are stopped with the stack."""
    env = python_environment({})
    api_args = ["--port", "0", "--token", BOT_TOKEN, "--bot-username", BOT_USERNAME]
    api = await start_python(
        "fake Bot API",
        ["-m", "tests.fakes.bot_api", *api_args],
        log_path=folder / "fake-bot-api.log",
        cwd=REPO_ROOT,
        env=env,
        capture_stdout=True,
    )
    await stack.enter_async_context(stopped_at_exit(api))
    gateway_args = ["--port", "0", "--api-key", API_KEY]
    gateway_args += ["--generation-seconds", str(config.generation_seconds)]
    gateway_args += ["--video-bytes", str(config.video_bytes)]
    gateway = await start_python(
        "fake gateway",
        ["-m", "tests.fakes.gateway", *gateway_args],
        log_path=folder / "fake-gateway.log",
        cwd=REPO_ROOT,
        env=env,
        capture_stdout=True,
    )
    await stack.enter_async_context(stopped_at_exit(gateway))
    return api, gateway


async def _create_chats(control: BotApiControl, planned: list[PlannedJob]) -> None:
    for user_id in sorted({job.user_id for job in planned}):
        await control.add_user(user_id, f"User{user_id - FIRST_USER_ID + 1}")
    for chat_id in sorted({job.chat_id for job in planned if job.chat_id < 0}, reverse=True):
        await control.add_group(chat_id, f"Bench group {FIRST_GROUP_ID - chat_id + 1}")


async def _inject_rounds(
    control: BotApiControl,
    tracker: CallTracker,
    planned: list[PlannedJob],
    bot: Child,
    config: BenchConfig,
    folder: Path,
) -> tuple[dict[MessageKey, float], float, bool]:
    """Inject round after round, each once the videos of the one before arrived.

    Returns when each message was injected, the longest a round's injection took, and whether time ran out.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + config.deliver_timeout
    injected: dict[MessageKey, float] = {}
    injection_seconds = 0.0
    for number in range(config.rounds):
        this_round = await _inject(control, [job for job in planned if job.round == number])
        injected.update(this_round)
        took = time.monotonic() - min(this_round.values())
        injection_seconds = max(injection_seconds, took)
        logger.info("round %d: injected %d jobs in %.2f s", number + 1, len(this_round), took)
        database = folder / "bot.sqlite3"
        if await _until_delivered(tracker, this_round, bot, database, within=deadline - loop.time()):
            return injected, injection_seconds, True
    return injected, injection_seconds, False


async def _inject(control: BotApiControl, planned: list[PlannedJob]) -> dict[MessageKey, float]:
    """Write every planned message as fast as possible; when each was sent (just before its request)."""
    injected: dict[MessageKey, float] = {}
    for job in planned:
        sent_at = time.monotonic()
        message = await control.send_text(job.chat_id, job.user_id, job.text)
        injected[(job.chat_id, message.message_id)] = sent_at
    return injected


async def _until_started(tracker: CallTracker, bot: Child, *, within: float) -> None:
    """Wait until the bot deletes its webhook: post_init is over and long polling starts right after."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        await tracker.refresh()
        if any(call.method in STARTED_METHODS for call in tracker.calls):
            return
        if not bot.alive:
            raise bot.failure(f"exited during start-up with code {bot.process.returncode}")
        if loop.time() > deadline:
            raise bot.failure(f"did not start polling within {within:.0f} s")
        await asyncio.sleep(0.1)


async def _until_delivered(
    tracker: CallTracker, injected: dict[MessageKey, float], bot: Child, database: Path, *, within: float
) -> bool:
    """Wait until every injected message has a video or its job ended without one (failed, cancelled).

    True when the time ran out (or the bot died).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    next_report = loop.time() + PROGRESS_EVERY
    while True:
        await tracker.refresh()
        delivered = sum(1 for key in injected if key in tracker.videos)
        if delivered == len(injected):
            return False
        finished = await asyncio.to_thread(finished_messages, database)
        if all(key in tracker.videos or key in finished for key in injected):
            logger.error("%d of %d jobs ended without a video", len(injected) - delivered, len(injected))
            return False
        if not bot.alive:
            logger.error("the bot exited with code %s mid-run", bot.process.returncode)
            return True
        now = loop.time()
        if now > deadline:
            logger.error("only %d of %d videos arrived within %.0f s", delivered, len(injected), within)
            return True
        if now >= next_report:
            logger.info("%d of %d videos delivered", delivered, len(injected))
            next_report = now + PROGRESS_EVERY
        await asyncio.sleep(POLL_PAUSE)


async def _until_notified(database: Path, expected: int, bot: Child, *, within: float) -> int:
    """Wait until the ledger says every user was told the outcome (final status written); returns how many."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        notified = await asyncio.to_thread(notified_count, database)
        if notified >= expected or not bot.alive:
            return notified
        if loop.time() > deadline:
            logger.warning("only %d of %d final states written within %.0f s", notified, expected, within)
            return notified
        await asyncio.sleep(POLL_PAUSE)


async def _until_quiet(tracker: CallTracker, bot: Child, *, quiet: float) -> None:
    """Wait until the bot has made no call but long polls for `quiet` seconds (final status edits)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + quiet + SETTLE_CAP
    while bot.alive and loop.time() < deadline:
        await tracker.refresh()
        last = last_activity(tracker.calls)
        if last is None or time.monotonic() - last >= quiet:
            return
        await asyncio.sleep(min(POLL_PAUSE, quiet))


def _log_problems(path: Path) -> tuple[str, ...]:
    """The bot's WARNING/ERROR lines (the bot logs at WARNING, so anything there is a problem)."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ()
    return tuple(line for line in lines if " WARNING " in line or " ERROR " in line or "Traceback" in line)


def _final_edits(ledger: list[LedgerJob], calls: list[ApiCall]) -> dict[MessageKey, float]:
    """When each job's status message was last edited, keyed by the user's message."""
    edits = last_edits(calls)
    final: dict[MessageKey, float] = {}
    for job in ledger:
        status = (job.chat_id, job.status_message_id) if job.status_message_id is not None else None
        if status is not None and status in edits:
            final[(job.chat_id, job.user_message_id)] = edits[status]
    return final


def _progress_gaps(
    ledger: list[LedgerJob],
    calls: list[ApiCall],
    statuses: dict[MessageKey, float],
    injected: dict[MessageKey, float],
    *,
    generation_seconds: float,
) -> list[float]:
    """Per job whose status was shown while it generated: the longest that status stayed unchanged."""
    edits = edit_times(calls)
    gaps = []
    for job in ledger:
        key = (job.chat_id, job.user_message_id)
        if job.status_message_id is None or key not in statuses or key not in injected:
            continue
        shown = edits.get((job.chat_id, job.status_message_id), [])
        gap = largest_progress_gap(statuses[key], shown, injected[key] + generation_seconds)
        if gap is not None:
            gaps.append(gap)
    return gaps
