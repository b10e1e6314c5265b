"""One run of one job: everything the steps need to know about it, read from the ledger once."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from bot.chats import is_group_chat
from bot.i18n import DEFAULT_LANGUAGE, Translator
from bot.jobs.delivery import Destination
from bot.jobs.reporter import JobReporter
from bot.jobs.stored_request import StoredRequest
from bot.progress import JobProgress
from bot.status_board import StatusBoard
from storage import Job

#: Each job keeps its downloads in `TEMP_DIR/job-<id>/` until it finishes (the folder outlives a restart).
WORKDIR_PREFIX = "job-"


@dataclass(frozen=True)
class JobRun:
    """A job, its parsed request, who is told in which language and where, and its status message.

    The runner builds it (with the reporter) and owns it; after a step changes the job in the ledger,
    `with_job` gives the run with the newer record.
    """

    job: Job
    request: StoredRequest
    language: str
    destination: Destination
    reporter: JobReporter

    @classmethod
    def open(
        cls, job: Job, *, board: StatusBoard, texts: Translator, queue_position: int | None = None
    ) -> JobRun:
        """The run of `job`, its status message starting from what the ledger knows."""
        request = StoredRequest.from_job(job)
        language = job.language or DEFAULT_LANGUAGE
        progress = JobProgress.begin(
            prompt=request.prompt,
            model=job.model,
            at=job.created_at.timestamp(),
            videos_total=job.n,
            queue_position=queue_position,
        )
        reporter = JobReporter(
            board=board, texts=texts, language=language, chat_id=job.chat_id, progress=progress
        )
        reporter.message_id = job.status_message_id
        return cls(job, request, language, destination_of(job), reporter)

    @property
    def is_group(self) -> bool:
        """True when the job's chat is shared (a group, a supergroup)."""
        return self.destination.chat_is_group

    def with_job(self, job: Job) -> JobRun:
        """The same run with a newer record of its job."""
        return dataclasses.replace(self, job=job)


def destination_of(job: Job) -> Destination:
    """Where the job's answers go."""
    return Destination(job.chat_id, job.thread_id, job.user_message_id, is_group_chat(job.chat_type))


def workdir_of(temp_dir: Path, job_id: str) -> Path:
    """Where a job keeps its videos until Telegram has them."""
    return temp_dir / f"{WORKDIR_PREFIX}{job_id}"


def job_id_of_workdir(folder: Path) -> str | None:
    """The job a folder in TEMP_DIR belongs to, or None for a folder that is not a job's."""
    if not folder.name.startswith(WORKDIR_PREFIX):
        return None
    return folder.name.removeprefix(WORKDIR_PREFIX)
