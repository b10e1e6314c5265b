"""The long-lived services, created once the bot starts and closed when it stops."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from telegram import Message
from telegram.ext import ExtBot

from bot.admin_alerts import AdminAlerts
from bot.defaults_menu import DefaultsMenu
from bot.frame_fetcher import FrameFetcher
from bot.gateway.client import GatewayTimeouts, VideoGateway
from bot.heartbeat import Heartbeat
from bot.i18n import Translator
from bot.jobs.albums import AlbumCollector
from bot.jobs.delivery import UploadTimeouts, VideoDelivery
from bot.jobs.followup_actions import FollowUpActions
from bot.jobs.intake import JobIntake
from bot.jobs.pipeline import JobPipeline
from bot.jobs.runner import JobRunner
from bot.jobs.telling import OutcomeTeller
from bot.languages import LanguageChoices
from bot.metrics import OpsMetrics, PrometheusMetrics
from bot.pacing.pacer import TelegramPacer
from bot.payments import StarsShop
from bot.settings import Settings
from bot.status.board import StatusBoard
from storage import Database, JobStore, PaymentStore, PreferenceStore, QuotaLedger, UserStore


@dataclass
class Services:
    """Everything handlers reach through `context.services`."""

    settings: Settings
    db: Database
    jobs: JobStore
    ledger: QuotaLedger
    users: UserStore
    preferences: PreferenceStore
    gateway: VideoGateway
    pacer: TelegramPacer
    board: StatusBoard
    runner: JobRunner
    intake: JobIntake
    texts: Translator
    albums: AlbumCollector[Message]
    followups: FollowUpActions
    languages: LanguageChoices
    metrics: OpsMetrics
    payments: PaymentStore
    shop: StarsShop
    alerts: AdminAlerts
    heartbeat: Heartbeat
    defaults_menu: DefaultsMenu
    frames: FrameFetcher

    @classmethod
    async def create(cls, bot: ExtBot[None], settings: Settings) -> Services:
        """Open the database and the gateway connection, and wire the job machinery."""
        pacer = bot.rate_limiter
        if not isinstance(pacer, TelegramPacer):
            raise TypeError("the bot must be built with the TelegramPacer as its rate limiter")
        settings.temp_dir.mkdir(parents=True, exist_ok=True)
        db = await Database.open(settings.database_path)
        jobs = JobStore(db)
        gateway = VideoGateway(
            base_url=settings.apiyi_base_url,
            api_key=settings.apiyi_api_key,
            poll_interval=settings.poll_interval_seconds,
            timeouts=GatewayTimeouts(total=settings.generation_timeout_seconds),
        )
        board = StatusBoard(bot, pacer)
        await board.start()
        texts = Translator()
        users = UserStore(db)
        languages = await LanguageChoices.load(users, texts)
        prometheus = PrometheusMetrics(gateway.error_counts)
        alerts = AdminAlerts(
            bot=bot,
            admin_ids=settings.admin_user_ids,
            secrets=[
                settings.telegram_bot_token.get_secret_value(),
                settings.apiyi_api_key.get_secret_value(),
                settings.webhook_secret_token.get_secret_value(),
            ],
        )
        upload_timeout = settings.telegram_upload_timeout_seconds
        upload_timeouts = UploadTimeouts(write=upload_timeout, read=upload_timeout)
        delivery = VideoDelivery(
            bot=bot,
            pacer=pacer,
            window_seconds=settings.delivery_retry_minutes * 60,
            timeouts=upload_timeouts,
        )
        teller = OutcomeTeller(bot=bot, jobs=jobs, texts=texts)
        pipeline = JobPipeline(
            jobs=jobs,
            gateway=gateway,
            teller=teller,
            texts=texts,
            delivery=delivery,
            temp_dir=settings.temp_dir,
            metrics=prometheus,
            alerts=alerts,
        )
        runner = JobRunner(
            jobs=jobs,
            pipeline=pipeline,
            teller=teller,
            board=board,
            texts=texts,
            pacer=pacer,
            max_concurrent=settings.max_concurrent_jobs,
            retention=timedelta(days=settings.job_retention_days),
            temp_dir=settings.temp_dir,
            metrics=prometheus,
        )
        preferences = PreferenceStore(db)
        payments = PaymentStore(db)
        intake = JobIntake(
            jobs=jobs, runner=runner, texts=texts, settings=settings, preferences=preferences, users=users
        )
        metrics = OpsMetrics(
            db=db,
            runner=runner,
            period=settings.quota_period,
            log_interval_seconds=settings.metrics_log_minutes * 60,
            listen=settings.metrics_listen,
            port=settings.metrics_port or None,
            upstream_errors=gateway.error_counts,
            prometheus=prometheus,
        )
        return cls(
            settings=settings,
            db=db,
            jobs=jobs,
            ledger=QuotaLedger(db),
            users=users,
            preferences=preferences,
            gateway=gateway,
            pacer=pacer,
            board=board,
            runner=runner,
            intake=intake,
            texts=texts,
            albums=AlbumCollector(),
            followups=FollowUpActions(bot=bot, jobs=jobs, temp_dir=settings.temp_dir, delivery=delivery),
            languages=languages,
            metrics=metrics,
            payments=payments,
            shop=StarsShop(settings=settings, payments=payments),
            alerts=alerts,
            heartbeat=Heartbeat(settings.heartbeat_file),
            defaults_menu=DefaultsMenu(bot=bot, preferences=preferences, settings=settings),
            frames=FrameFetcher(bot),
        )

    async def close(self) -> None:
        """Close connections (the runner and the status board are stopped before this, in post_stop)."""
        await self.gateway.aclose()
        await self.db.close()
