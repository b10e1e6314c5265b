"""/history: the user's last delivered videos, each sent again by its Telegram file id on a button press."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.context import BotContext
from bot.jobs.delivery import caption_html
from bot.jobs.intake import format_reset
from bot.jobs.stored_request import StoredRequest
from bot.telegram_text import truncate_utf16
from handlers.common import own_account_only, reply
from storage.history import delivered_videos

HISTORY_CALLBACK_PREFIX = "hist:"
_PROMPT_SHOWN_UNITS = 60  # of each listed prompt, in Telegram's UTF-16 units
_BUTTONS_PER_ROW = 5


@own_account_only
async def history_command(update: Update, context: BotContext) -> None:
    """List the user's last 10 delivered videos with a button for each."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    jobs = await delivered_videos(context.services.db, user.id)
    if not jobs:
        await reply(message, context.t("history-empty"))
        return
    lines = [context.t("history-header", count=len(jobs))]
    for number, job in enumerate(jobs, start=1):
        prompt = truncate_utf16(StoredRequest.from_job(job).prompt, _PROMPT_SHOWN_UNITS)
        lines.append(
            context.t(
                "history-line",
                number=str(number),
                prompt=html.escape(prompt),
                model=job.model,
                date=format_reset(job.finished_at or job.created_at),
            )
        )
    buttons = [
        InlineKeyboardButton(
            context.t("history-button", number=str(number)),
            callback_data=f"{HISTORY_CALLBACK_PREFIX}{job.id}",
        )
        for number, job in enumerate(jobs, start=1)
    ]
    rows = [buttons[i : i + _BUTTONS_PER_ROW] for i in range(0, len(buttons), _BUTTONS_PER_ROW)]
    await message.reply_text("\n".join(lines), do_quote=True, reply_markup=InlineKeyboardMarkup(rows))


async def history_button(update: Update, context: BotContext) -> None:
    """Send a delivered video again by its file id (no upload, nothing charged)."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    job = await context.services.jobs.get_job(query.data.removeprefix(HISTORY_CALLBACK_PREFIX))
    if job is None or not job.delivered_file_ids:
        await query.answer(context.t("history-gone"), show_alert=True)
        return
    if job.user_id != query.from_user.id:
        await query.answer(context.t("button-not-yours"), show_alert=True)
        return
    await query.answer(context.t("history-sending"))
    shown_in = query.message
    thread_id = (
        shown_in.message_thread_id if isinstance(shown_in, Message) and shown_in.is_topic_message else None
    )
    footer = context.t("video-caption-footer", model=job.model)
    caption = caption_html(StoredRequest.from_job(job).prompt, footer)
    for file_id in job.delivered_file_ids:
        await context.bot.send_video(
            chat_id=shown_in.chat.id,
            video=file_id,
            caption=caption,
            message_thread_id=thread_id,
        )
