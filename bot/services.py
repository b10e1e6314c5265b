"""The long-lived services, created once the bot starts and closed when it stops."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot, Message

from bot.gateway.client import VideoGateway
from bot.i18n import Translator
from bot.jobs.albums import AlbumCollector
from bot.jobs.intake import JobIntake
from bot.jobs.pipeline import JobPipeline
from bot.jobs.runner import JobRunner
from bot.settings import Settings
from bot.status_board import StatusBoard
from storage import Database, JobStore, QuotaLedger, UserStore


@dataclass
class Services:
    """Everything handlers reach through `context.services`."""

    settings: Settings
    db: Database
    jobs: JobStore
    ledger: QuotaLedger
    users: UserStore
    gateway: VideoGateway
    board: StatusBoard
    runner: JobRunner
    intake: JobIntake
    texts: Translator
    albums: AlbumCollector[Message]

    @classmethod
    async def create(cls, bot: Bot, settings: Settings) -> Services:
        """Open the database and the gateway connection, and wire the job machinery."""
        settings.temp_dir.mkdir(parents=True, exist_ok=True)
        db = await Database.open(settings.database_path)
        jobs = JobStore(db)
        gateway = VideoGateway(
            base_url=settings.apiyi_base_url,
            api_key=settings.apiyi_api_key,
            poll_interval=settings.poll_interval_seconds,
        )
        board = StatusBoard(bot)
        await board.start()
        texts = Translator()
        pipeline = JobPipeline(
            bot=bot, jobs=jobs, gateway=gateway, board=board, texts=texts, settings=settings
        )
        runner = JobRunner(
            jobs=jobs,
            pipeline=pipeline,
            max_concurrent=settings.max_concurrent_jobs,
            retention=timedelta(days=settings.job_retention_days),
        )
        intake = JobIntake(jobs=jobs, runner=runner, texts=texts, settings=settings)
        return cls(
            settings=settings,
            db=db,
            jobs=jobs,
            ledger=QuotaLedger(db),
            users=UserStore(db),
            gateway=gateway,
            board=board,
            runner=runner,
            intake=intake,
            texts=texts,
            albums=AlbumCollector(),
        )

    async def close(self) -> None:
        """Flush status messages and close connections (the runner is stopped before this)."""
        await self.board.stop()
        await self.gateway.aclose()
        await self.db.close()
