"""Deployment settings, read once at start-up from the environment and `.env`."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal, NamedTuple

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

IdList = Annotated[frozenset[int], NoDecode]
MAX_STARS_PER_INVOICE = 10_000
MAX_STARS_PACKS = 8
MAX_SUPPORT_TEXT_CHARS = 2000


class StarsPack(NamedTuple):
    """A credit pack sold for Telegram Stars: `stars` buy `cents` of video credit."""

    stars: int
    cents: int


def parse_stars_packs(value: str) -> tuple[StarsPack, ...]:
    """`50:0.50,250:3.00` as packs; ValueError naming the bad part."""
    packs: list[StarsPack] = []
    for part in value.replace(" ", "").split(","):
        if not part:
            continue
        stars_text, _, usd_text = part.partition(":")
        try:
            stars = int(stars_text)
            usd = Decimal(usd_text)
        except (ValueError, ArithmeticError):
            raise ValueError(f"{part!r} is not STARS:USD (e.g. 50:0.50)") from None
        if not 1 <= stars <= MAX_STARS_PER_INVOICE:
            raise ValueError(f"{part!r}: Stars must be between 1 and {MAX_STARS_PER_INVOICE}")
        if usd <= 0 or usd != usd.quantize(Decimal("0.01")) or usd > 10_000:
            raise ValueError(f"{part!r}: USD must be a positive amount with at most 2 decimals")
        if any(pack.stars == stars for pack in packs):
            raise ValueError(f"{stars} Stars appears twice")
        packs.append(StarsPack(stars, int(usd * 100)))
    if len(packs) > MAX_STARS_PACKS:
        raise ValueError(f"at most {MAX_STARS_PACKS} packs")
    return tuple(packs)


class Settings(BaseSettings):
    """Every value an operator can set; built once and passed down."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Secrets and endpoints
    telegram_bot_token: SecretStr
    telegram_api_url: str = "https://api.telegram.org"
    apiyi_api_key: SecretStr
    apiyi_base_url: str = "https://api.apiyi.com/v1"

    # Storage
    database_path: Path = Path("data/bot.sqlite3")
    temp_dir: Path = Path("data/tmp")

    # Generation
    default_model: str = "veo-3.1-fast"
    generation_mode: Literal["sync", "async"] = "sync"
    poll_interval_seconds: float = Field(default=5.0, gt=0, le=60)
    generation_timeout_seconds: float = Field(default=600.0, ge=10, le=7200)
    max_concurrent_jobs: int = Field(default=20, ge=1, le=1000)

    # Delivery to Telegram
    delivery_retry_minutes: float = Field(default=60.0, gt=0, le=1440)
    telegram_upload_timeout_seconds: float = Field(default=300.0, ge=5, le=3600)

    # Budgets
    user_budget_usd: Decimal = Field(default=Decimal("1.00"), ge=0)
    quota_period: Literal["day", "week", "month"] = "day"
    global_budget_usd: Decimal = Field(default=Decimal("0"), ge=0)
    max_active_jobs_per_user: int = Field(default=2, ge=1, le=100)
    admin_user_ids: IdList = frozenset()
    allowed_user_ids: IdList = frozenset()
    allowed_chat_ids: IdList = frozenset()

    # Payments in Telegram Stars (off while STARS_PACKS is empty)
    stars_packs: Annotated[tuple[StarsPack, ...], NoDecode] = ()
    payment_support_text: str = Field(default="", max_length=MAX_SUPPORT_TEXT_CHARS)

    # Operations
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    job_retention_days: int = Field(default=30, ge=1)
    heartbeat_file: Path = Path("data/heartbeat")

    # Webhook mode (long polling when WEBHOOK_URL is empty)
    webhook_url: str = ""
    webhook_listen: str = "0.0.0.0"  # noqa: S104 - the container's port is what gets published
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret_token: SecretStr = SecretStr("")
    metrics_port: int = Field(default=0, ge=0, le=65535)
    metrics_listen: str = "127.0.0.1"
    metrics_log_minutes: float = Field(default=15.0, ge=0, le=1440)

    @field_validator("admin_user_ids", "allowed_user_ids", "allowed_chat_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        """Accept `1,2,3` (or spaces) as well as a real list."""
        if isinstance(value, str):
            parts = value.replace(",", " ").split()
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("stars_packs", mode="before")
    @classmethod
    def _parse_packs(cls, value: object) -> object:
        """Accept `50:0.50,250:3.00` as well as a real list."""
        return parse_stars_packs(value) if isinstance(value, str) else value

    @field_validator("telegram_api_url", "apiyi_base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("telegram_bot_token", "apiyi_api_key")
    @classmethod
    def _not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("webhook_secret_token")
    @classmethod
    def _telegram_secret(cls, value: SecretStr) -> SecretStr:
        """Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - (empty means no secret)."""
        secret = value.get_secret_value()
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ValueError("must be 1-256 characters from A-Z, a-z, 0-9, _ and -")
        return value

    @property
    def user_budget_cents(self) -> int:
        """The per-user budget per period in whole cents."""
        return int(self.user_budget_usd * 100)

    @property
    def payments_enabled(self) -> bool:
        """True when at least one Stars pack is on sale."""
        return bool(self.stars_packs)

    @property
    def global_budget_cents(self) -> int:
        """The whole bot's budget per period in cents; 0 means unlimited."""
        return int(self.global_budget_usd * 100)


class SettingsError(Exception):
    """Settings are missing or malformed; the message names the setting and is safe to print."""


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning a validation failure into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        raise SettingsError(describe_validation_error(err)) from None


def describe_validation_error(err: ValidationError) -> str:
    """One line per problem, naming the environment variable, never echoing its value."""
    lines = []
    for problem in err.errors():
        name = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
        message = "is required but not set" if problem["type"] == "missing" else problem["msg"]
        lines.append(f"{name} {message}")
    return "Invalid settings: " + "; ".join(lines)
