"""Typed values that cross the storage boundary: jobs, their states, quota results, usage and stats."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, NamedTuple

from storage.periods import Period

JobMode = Literal["sync", "async"]
LedgerKind = Literal["reserve", "refund", "charge", "grant"]
LedgerPool = Literal["free", "paid"]
RefusalReason = Literal["budget", "global_budget", "active_jobs"]


class JobState(StrEnum):
    """Where a job is in its life; the last three are terminal."""

    QUEUED = "queued"
    SUBMITTED = "submitted"
    GENERATING = "generating"
    DOWNLOADING = "downloading"
    UPLOADING = "uploading"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """True once nothing more will happen to the job."""
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({JobState.DELIVERED, JobState.FAILED, JobState.CANCELLED})

# Every non-terminal state may also go to FAILED; that edge is added below rather than repeated.
_FORWARD: dict[JobState, frozenset[JobState]] = {
    # queued -> downloading: a job that re-sends a clip made before (its result is known already).
    JobState.QUEUED: frozenset(
        {JobState.SUBMITTED, JobState.GENERATING, JobState.DOWNLOADING, JobState.CANCELLED}
    ),
    JobState.SUBMITTED: frozenset({JobState.GENERATING, JobState.DOWNLOADING}),
    # generating -> generating is allowed so progress updates are harmless (progress itself is not stored).
    JobState.GENERATING: frozenset({JobState.GENERATING, JobState.DOWNLOADING}),
    JobState.DOWNLOADING: frozenset({JobState.UPLOADING}),
    JobState.UPLOADING: frozenset({JobState.DELIVERED}),
}

ALLOWED_TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    state: _FORWARD.get(state, frozenset()) | (frozenset() if state.is_terminal else {JobState.FAILED})
    for state in JobState
}


def can_transition(current: JobState, target: JobState) -> bool:
    """Whether a job in `current` may move to `target`."""
    return target in ALLOWED_TRANSITIONS[current]


class JobImage(NamedTuple):
    """One input image kept so the job can be submitted again after a restart."""

    mime_type: str
    data: bytes


@dataclass(frozen=True)
class NewJob:
    """What the caller knows when a request arrives; prices are integer cents per clip."""

    user_id: int
    chat_id: int
    chat_type: str
    user_message_id: int
    #: Unique per incoming message, e.g. f"{chat_id}:{message_id}", so a redelivered update reuses the job.
    dedupe_key: str
    #: The caller's serialized request without images.
    request_json: str
    model: str
    mode: JobMode
    n: int
    price_cents: int
    thread_id: int | None = None
    status_message_id: int | None = None
    language: str | None = None
    images: tuple[JobImage, ...] = field(default=(), repr=False)
    #: The job whose clip this one continues (its last frame is this job's start frame).
    parent_job_id: str | None = None
    #: A clip that was made before and failed to reach the chat: sent again, not generated again.
    result_urls: tuple[str, ...] = ()
    upstream_task_id: str | None = None

    @property
    def cost_cents(self) -> int:
        """What the whole job reserves: every clip is billed."""
        return self.n * self.price_cents


@dataclass(frozen=True)
class Job:
    """A stored job as the rest of the bot sees it."""

    id: str
    user_id: int
    chat_id: int
    chat_type: str
    thread_id: int | None
    user_message_id: int
    dedupe_key: str
    status_message_id: int | None
    request_json: str
    model: str
    mode: JobMode
    n: int
    price_cents: int
    reserved_cents: int
    charged_cents: int
    delivered_count: int
    upstream_task_id: str | None
    result_urls: tuple[str, ...]
    state: JobState
    attempts: int  # attempts to send the videos to Telegram
    error_kind: str | None
    error_message: str | None
    language: str | None
    period_key: str
    user_notified: bool
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    parent_job_id: str | None = None
    #: Telegram file ids of the delivered videos, in order.
    delivered_file_ids: tuple[str, ...] = ()
    #: When the request went upstream (the generation's deadline counts from here, across restarts).
    submitted_at: datetime | None = None
    #: "possible_duplicate" when an attempt whose answer never came may have reached the chat as well.
    delivery_note: str | None = None

    @property
    def is_terminal(self) -> bool:
        """True once the job is delivered, failed or cancelled."""
        return self.state.is_terminal


@dataclass(frozen=True)
class QuotaPolicy:
    """The limits `create_job` enforces; built once from Settings by the caller."""

    period: Period
    user_budget_cents: int
    max_active_jobs: int
    #: The whole bot's budget per period; 0 means no global limit.
    global_budget_cents: int = 0


@dataclass(frozen=True)
class JobCreated:
    """A new job was stored and its cost reserved."""

    job: Job


@dataclass(frozen=True)
class Duplicate:
    """A job with the same dedupe key already exists; nothing new was reserved."""

    job: Job


@dataclass(frozen=True)
class Refused:
    """No job was created because a limit would be exceeded."""

    reason: RefusalReason
    #: Room left under the limit that refused (the user's own budget for 'active_jobs'), never negative.
    left_cents: int
    cost_cents: int
    resets_at: datetime
    active_jobs: int
    max_active: int


CreateJobResult = JobCreated | Duplicate | Refused


@dataclass(frozen=True)
class UsageSummary:
    """One user's money in one period."""

    #: Charged for delivered clips.
    spent_cents: int
    #: Held for jobs still running.
    reserved_cents: int
    granted_cents: int
    budget_cents: int
    left_cents: int
    period_start: datetime
    resets_at: datetime


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the spend ledger; amounts are positive and `kind` says which way they count."""

    id: int
    user_id: int
    job_id: str | None
    kind: LedgerKind
    amount_cents: int
    period_key: str
    created_at: datetime
    note: str | None
    actor_id: int | None
    #: Which money the row moves: the free per-period budget or paid credit.
    pool: LedgerPool = "free"


@dataclass(frozen=True)
class PaymentTotals:
    """Telegram Stars payments (or refunds) in a time range."""

    count: int = 0
    stars: int = 0
    cents: int = 0


@dataclass(frozen=True)
class Stats:
    """Operator's overview: job counts, clips, spend and errors for today and the current period."""

    period: Period
    period_start: datetime
    resets_at: datetime
    #: Jobs created today / this period, by their current state (every state present, zero if none).
    jobs_today: dict[JobState, int]
    jobs_period: dict[JobState, int]
    clips_delivered_today: int
    clips_delivered_period: int
    spent_today_cents: int
    spent_period_cents: int
    users_period: int
    active_jobs: int
    queued_jobs: int
    #: Failed jobs finished this period, by error kind.
    errors_by_kind: dict[str, int]
    #: Stars payments by when they were paid; refunds by when they were refunded (completed ones).
    purchases_today: PaymentTotals = PaymentTotals()
    purchases_period: PaymentTotals = PaymentTotals()
    refunds_today: PaymentTotals = PaymentTotals()
    refunds_period: PaymentTotals = PaymentTotals()


@dataclass(frozen=True)
class User:
    """A Telegram user the bot has seen."""

    id: int
    username: str | None
    language_code: str | None
    language_override: str | None
    first_seen: datetime
    last_seen: datetime

    @property
    def language(self) -> str | None:
        """The language to speak: the user's explicit choice, else Telegram's."""
        return self.language_override or self.language_code
