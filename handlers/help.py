"""/start, /help and /models: what the bot does, its options and its prices."""

from __future__ import annotations

import html

from telegram import Update

from bot.context import BotContext
from bot.gateway.catalog import MODELS, Channel, ModelSpec
from bot.i18n import Translator
from bot.jobs.money import format_usd
from handlers.common import reply


async def start_command(update: Update, context: BotContext) -> None:
    """Greet the user with an example."""
    message, user = update.effective_message, update.effective_user
    if message is None:
        return
    await reply(message, context.t("start", name=html.escape(user.first_name) if user else ""))


async def help_command(update: Update, context: BotContext) -> None:
    """Explain commands, options, photos and prices."""
    message = update.effective_message
    if message is None:
        return
    await reply(message, context.t("help"))


async def models_command(update: Update, context: BotContext) -> None:
    """List the models with what each can do and its price per clip."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    text = models_text(services.texts, context.language, default_model=services.settings.default_model)
    await reply(message, text)


def models_text(texts: Translator, language: str, *, default_model: str) -> str:
    """The /models answer."""
    lines = [texts(language, "models-header")]
    for spec in MODELS.values():
        lines.append(
            texts(
                language,
                "models-line",
                id=spec.id,
                price=format_usd(spec.price_cents),
                what=_what(texts, language, spec),
            )
        )
    lines.append("")
    lines.append(texts(language, "models-footer", default=default_model))
    return "\n".join(lines)


def _what(texts: Translator, language: str, spec: ModelSpec) -> str:
    flags = {"fast": "yes" if spec.fast else "no"}
    if spec.channel is Channel.OFFICIAL:
        return texts(language, "model-what-official", **flags)
    return texts(
        language,
        "model-what-reverse",
        orientation=str(spec.orientation),
        images="yes" if spec.takes_images else "no",
        sync="yes",
        **flags,
    )
