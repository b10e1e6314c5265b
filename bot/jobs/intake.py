"""Accepts a video request from a chat: validate, reserve the budget atomically, show status, queue."""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.chats import is_group_chat
from bot.gateway.catalog import Channel, get_model
from bot.gateway.errors import InvalidRequestError
from bot.gateway.request import MAX_SEED, ImageInput, validate_request
from bot.i18n import Translator
from bot.jobs.build import BuiltRequest, FrameImage, build_request
from bot.jobs.followups import continuation_model
from bot.jobs.money import format_usd
from bot.jobs.runner import JobRunner
from bot.jobs.stored_request import StoredRequest, dump_request
from bot.preferences import VideoDefaults
from bot.settings import Settings
from bot.video_options import VideoOptions
from storage import (
    Duplicate,
    Job,
    JobCreated,
    JobImage,
    JobMode,
    JobState,
    JobStore,
    NewJob,
    PreferenceStore,
    QuotaPolicy,
    Refused,
    UserStore,
)

logger = logging.getLogger(__name__)

# Chained clips in one /extend video (5 x 8 s = 40 s).
MAX_SEGMENTS = 5


@dataclass(frozen=True)
class Origin:
    """Who asked, where, and which message to answer."""

    chat_id: int
    chat_type: str
    thread_id: int | None
    user_id: int
    message_id: int
    language: str
    username: str | None = None
    language_code: str | None = None
    chat_title: str | None = None

    @property
    def dedupe_key(self) -> str:
        """The same Telegram message, delivered twice after a crash, makes one job."""
        return f"{self.chat_id}:{self.message_id}"


@dataclass(frozen=True)
class Accepted:
    """The job exists and is queued (or already existed)."""

    job: Job
    duplicate: bool = False


@dataclass(frozen=True)
class Rejected:
    """Nothing was reserved; `text` tells the user why (HTML)."""

    text: str


IntakeResult = Accepted | Rejected


class JobIntake:
    """The one service handlers call to start a generation."""

    def __init__(
        self,
        *,
        jobs: JobStore,
        runner: JobRunner,
        texts: Translator,
        settings: Settings,
        preferences: PreferenceStore | None = None,
        users: UserStore | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._jobs = jobs
        self._preferences = preferences
        self._users = users
        self._runner = runner
        self._texts = texts
        self._settings = settings
        self._wall_clock = wall_clock

    async def submit(
        self,
        origin: Origin,
        options: VideoOptions,
        images: Sequence[FrameImage],
        *,
        dedupe_key: str | None = None,
        extend_to_seconds: int | None = None,
    ) -> IntakeResult:
        """Validate and reserve; on success the job is queued and its status message will follow.

        With `extend_to_seconds`, the job chains clips (each starting from the last frame of the one
        before) into one video at least that long; every clip is reserved and billed like a video.
        """
        saved = None
        if self._preferences is not None:
            group_id = origin.chat_id if is_group_chat(origin.chat_type) else None
            saved = await self._preferences.for_request(origin.user_id, group_id)
        try:
            built = build_request(
                options,
                images,
                default_model=self._settings.default_model,
                generation_mode=self._settings.generation_mode,
                defaults=None if saved is None else VideoDefaults.from_values(saved.values),
            )
            segments = 1 if extend_to_seconds is None else plan_segments(built, extend_to_seconds)
        except InvalidRequestError as err:
            return Rejected(self.describe_invalid(origin.language, err))
        return await self._reserve_and_start(
            origin,
            request_json=dump_request(built.request, segments=segments),
            images=[(image.mime_type, image.data) for image in built.request.images],
            model=built.spec.id,
            mode=built.mode,
            n=built.request.n * segments,
            price_cents=built.spec.price_cents,
            dedupe_key=dedupe_key or origin.dedupe_key,
        )

    async def rerun(
        self,
        origin: Origin,
        source: Job,
        *,
        dedupe_key: str,
        n: int | None = None,
        start_frame: FrameImage | None = None,
    ) -> IntakeResult:
        """A new job from an earlier one's request: again with a fresh seed, as `n` variations, or
        continued from `start_frame` (the last frame of the earlier clip) with the `-fl` sibling model."""
        if n is None and start_frame is None and can_send_again(source):
            # The clip was made (and paid upstream) but never reached the chat: send it, don't make it again.
            return await self._reserve_and_start(
                origin,
                request_json=source.request_json,
                images=[],
                model=source.model,
                mode=source.mode,
                n=source.n,
                price_cents=source.price_cents,
                dedupe_key=dedupe_key,
                result_urls=source.result_urls,
                upstream_task_id=source.upstream_task_id,
            )
        stored = StoredRequest.from_job(source)
        request = stored.with_images(await self._jobs.job_images(source.id))
        spec = get_model(source.model)
        changes: dict[str, object] = {}
        if spec.channel is Channel.OFFICIAL:
            changes["seed"] = secrets.randbelow(MAX_SEED + 1)
        if n is not None:
            changes["n"] = n
        if start_frame is not None:
            follow_on = continuation_model(spec)
            frame = ImageInput(data=start_frame.data, mime_type=start_frame.mime_type)  # type: ignore[arg-type]
            changes.update(model=follow_on.id, images=(frame,), n=1)
        request = request.model_copy(update=changes)
        # "Again" on a longer video makes the whole chain again; continuing or varying makes single clips.
        segments = 1 if start_frame is not None or n is not None else stored.segments
        try:
            spec = validate_request(request, mode=source.mode)
        except InvalidRequestError as err:
            return Rejected(self.describe_invalid(origin.language, err))
        return await self._reserve_and_start(
            origin,
            request_json=dump_request(request, segments=segments),
            images=[(image.mime_type, image.data) for image in request.images],
            model=spec.id,
            mode=source.mode,
            n=request.n * segments,
            price_cents=spec.price_cents,
            dedupe_key=dedupe_key,
            parent_job_id=source.id if start_frame is not None else None,
        )

    async def _reserve_and_start(
        self,
        origin: Origin,
        *,
        request_json: str,
        images: list[tuple[str, bytes]],
        model: str,
        mode: JobMode,
        n: int,
        price_cents: int,
        dedupe_key: str,
        parent_job_id: str | None = None,
        result_urls: tuple[str, ...] = (),
        upstream_task_id: str | None = None,
    ) -> IntakeResult:
        if self._users is not None and await self._users.has_left(origin.chat_id):
            # An update that was already on its way when the bot was removed (my_chat_member).
            logger.info("Request in chat %d ignored: the bot left it", origin.chat_id)
            return Rejected(self._texts(origin.language, "chat-left"))
        if self._users is not None:
            # Who uses the bot and where, for the operator (the jobs themselves carry the ids).
            await self._users.upsert_user(origin.user_id, origin.username, origin.language_code)
            await self._users.upsert_chat(origin.chat_id, origin.chat_type, origin.chat_title)
        new_job = NewJob(
            user_id=origin.user_id,
            chat_id=origin.chat_id,
            chat_type=origin.chat_type,
            thread_id=origin.thread_id,
            user_message_id=origin.message_id,
            dedupe_key=dedupe_key,
            request_json=request_json,
            model=model,
            mode=mode,
            n=n,
            price_cents=price_cents,
            language=origin.language,
            images=tuple(JobImage(mime, data) for mime, data in images),
            parent_job_id=parent_job_id,
            result_urls=result_urls,
            upstream_task_id=upstream_task_id,
        )
        settings = self._settings
        policy = QuotaPolicy(
            period=settings.quota_period,
            user_budget_cents=settings.user_budget_cents,
            max_active_jobs=settings.max_active_jobs_per_user,
            global_budget_cents=settings.global_budget_cents,
        )
        outcome = await self._jobs.create_job(
            new_job, policy=policy, unlimited=origin.user_id in settings.admin_user_ids, now=self._now()
        )
        if isinstance(outcome, Duplicate):
            logger.info("Duplicate update for job %s ignored", outcome.job.id)
            return Accepted(outcome.job, duplicate=True)
        if isinstance(outcome, Refused):
            return Rejected(self.describe_refusal(origin.language, outcome, cost=n * price_cents))
        assert isinstance(outcome, JobCreated)
        job = outcome.job
        logger.info(
            "Job %s queued: user=%s chat=%s model=%s mode=%s n=%d reserved=%d",
            job.id,
            job.user_id,
            job.chat_id,
            job.model,
            job.mode,
            job.n,
            job.reserved_cents,
        )
        self._runner.start(job)
        return Accepted(job)

    def describe_invalid(self, language: str, err: InvalidRequestError) -> str:
        """A request the rules refuse, in the user's language, ending with "nothing was charged"."""
        key = f"invalid-{err.code}"
        args = {str(k): str(v) for k, v in err.details.items()}
        reason = self._texts(language, key, **args) if self._texts.has(language, key) else err.message
        return self._texts(language, "invalid-request", reason=reason)

    def describe_refusal(self, language: str, refused: Refused, *, cost: int) -> str:
        """A request the budget refuses: what is left and when it resets (and /buy, when it sells credit)."""
        text = self._texts(
            language,
            f"refused-{refused.reason}",
            cost=format_usd(cost),
            left=format_usd(refused.left_cents),
            resets=format_reset(refused.resets_at),
            active=str(refused.active_jobs),
            limit=str(refused.max_active),
        )
        if refused.reason == "budget" and self._settings.payments_enabled:
            text += "\n" + self._texts(language, "quota-buy-more")
        return text

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._wall_clock(), UTC)


def plan_segments(built: BuiltRequest, seconds: int) -> int:
    """How many chained clips make a video of at least `seconds`; raises for impossible plans."""
    if built.request.n != 1:
        raise InvalidRequestError("extend_single_video", "A longer video is made one at a time: drop --n.")
    clip = built.request.clip_seconds
    segments = max(2, math.ceil(seconds / clip))
    if segments > MAX_SEGMENTS:
        raise InvalidRequestError(
            "extend_too_long",
            f"A longer video can chain at most {MAX_SEGMENTS} clips ({MAX_SEGMENTS * clip} seconds).",
            limit=str(MAX_SEGMENTS * clip),
        )
    return segments


def format_reset(moment: datetime) -> str:
    """A reset time as people read it: "2026-11-24 00:00 UTC"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# Failures after the clip was made: Telegram did not take it. Its result stays valid upstream for a day.
SENT_AGAIN_KINDS = frozenset({"upload_failed", "undeliverable", "no_rights"})
RESULT_VALIDITY = timedelta(hours=23)


def can_send_again(job: Job) -> bool:
    """True when "Try again" can send the clip this job made instead of making a new one."""
    if job.state is not JobState.FAILED or job.error_kind not in SENT_AGAIN_KINDS or job.delivered_count:
        return False
    if StoredRequest.from_job(job).chained or job.finished_at is None:
        return False
    if datetime.now(UTC) - job.finished_at > RESULT_VALIDITY:
        return False
    return bool(job.result_urls) or (job.mode == "async" and job.upstream_task_id is not None)
