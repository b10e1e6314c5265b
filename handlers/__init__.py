"""Telegram handlers, one module per feature; `register` wires them in a deliberate order."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    TypeHandler,
    filters,
)

from bot.defaults_menu import CALLBACK_PREFIX as SETTINGS_CALLBACK_PREFIX
from bot.jobs.followups import CALLBACK_PREFIX as FOLLOW_UP_PREFIX
from handlers.access import enforce_allow_lists
from handlers.admin import grant_command, stats_command
from handlers.cancel import cancel_command
from handlers.errors import error_handler
from handlers.followups import followup_button
from handlers.help import help_command, models_command, start_command
from handlers.history import HISTORY_CALLBACK_PREFIX, history_button, history_command
from handlers.language import LANGUAGE_CALLBACK_PREFIX, language_button, language_command
from handlers.membership import bot_membership
from handlers.payments import (
    BUY_CALLBACK_PREFIX,
    buy_button,
    buy_command,
    paysupport_command,
    pre_checkout,
    refund_command,
    successful_payment,
    terms_command,
)
from handlers.quota import quota_command
from handlers.settings_menu import settings_button, settings_command
from handlers.stale_buttons import unknown_button
from handlers.video import extend_command, photo_message, unusable_file, video_command

# Photos and files: the handler decides whether a group post addresses us (caption "/video ...")
# and explains files it cannot use (a PDF, a 30 MB image).
# Only new messages: channel posts have no sender, and an edited caption is not a new request.
PHOTOS_AND_FILES = filters.UpdateType.MESSAGE & (filters.PHOTO | filters.Document.ALL)
PRIVATE = filters.ChatType.PRIVATE


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add every handler. Group -1 (allow-lists) runs first and can stop an update."""
    application.add_handler(TypeHandler(Update, enforce_allow_lists), group=-1)

    application.add_handler(CommandHandler("start", start_command))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("models", models_command))
    application.add_handler(CommandHandler("quota", quota_command))
    application.add_handler(CommandHandler("grant", grant_command))
    application.add_handler(CommandHandler("stats", stats_command))
    application.add_handler(CommandHandler("language", language_command))
    application.add_handler(CommandHandler("video", video_command))
    application.add_handler(CommandHandler("settings", settings_command))
    application.add_handler(CommandHandler("extend", extend_command))
    application.add_handler(CommandHandler("cancel", cancel_command))
    # Media with a caption is not a command to PTB, so photos and files are matched by type.
    application.add_handler(MessageHandler(PHOTOS_AND_FILES, photo_message))
    # A sticker sent privately gets an explanation (in groups stickers are just chatter).
    application.add_handler(MessageHandler(PRIVATE & filters.Sticker.ALL, unusable_file))
    application.add_handler(CallbackQueryHandler(followup_button, pattern=f"^{FOLLOW_UP_PREFIX}"))
    application.add_handler(CallbackQueryHandler(settings_button, pattern=f"^{SETTINGS_CALLBACK_PREFIX}"))
    application.add_handler(CallbackQueryHandler(language_button, pattern=f"^{LANGUAGE_CALLBACK_PREFIX}"))
    # Stars payments and /history (issue 12): a successful payment is a service message no handler above
    # matches; a pre-checkout query must be answered within Telegram's 10 seconds.
    application.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, successful_payment))
    application.add_handler(PreCheckoutQueryHandler(pre_checkout))
    for name, command in (
        ("buy", buy_command),
        ("paysupport", paysupport_command),
        ("terms", terms_command),
        ("refund", refund_command),
        ("history", history_command),
    ):
        application.add_handler(CommandHandler(name, command))
    application.add_handler(CallbackQueryHandler(buy_button, pattern=f"^{BUY_CALLBACK_PREFIX}"))
    application.add_handler(CallbackQueryHandler(history_button, pattern=f"^{HISTORY_CALLBACK_PREFIX}"))
    # The bot added to or removed from a group (issue 13): recorded; a chat it left gets no more work.
    application.add_handler(ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    # Last: any other button (forged or stale data) is answered so it stops spinning.
    application.add_handler(CallbackQueryHandler(unknown_button))
    application.add_error_handler(error_handler)
