"""The buttons under a video (and "Try again" under a failure): owner only, priced, through the budget."""

from __future__ import annotations

import html
import logging
import re
import time

from telegram import CallbackQuery, Update

from bot.chats import is_group_chat
from bot.constants import DOUBLE_TAP_WINDOW_SECONDS
from bot.context import BotContext
from bot.jobs.delivery import Destination, caption_html
from bot.jobs.followup_actions import ChatGone
from bot.jobs.followup_buttons import decode
from bot.jobs.intake import IntakeResult, Origin, Rejected
from bot.jobs.stored_request import StoredRequest
from bot.user_errors import UserFacingError
from handlers.common import REFUSAL_SEND_ERRORS, answer_alert, answer_note
from storage import Job

logger = logging.getLogger(__name__)


async def followup_button(update: Update, context: BotContext) -> None:
    """Again, ×N variations, Continue, Stitch, and Try again."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    follow_up = decode(query.data)
    services = context.services
    job = await services.jobs.get_job(follow_up.job_id) if follow_up else None
    if follow_up is None or job is None or query.message is None:
        await answer_alert(query, context.t("followup-expired"))
        return
    if job.user_id != query.from_user.id:
        await query.answer(context.t("button-not-yours"), show_alert=True)
        return
    origin = Origin(
        chat_id=query.message.chat.id,
        chat_type=query.message.chat.type,
        thread_id=job.thread_id,
        user_id=query.from_user.id,
        message_id=query.message.message_id,
        language=context.language,
        username=query.from_user.username,
        language_code=query.from_user.language_code,
        chat_title=query.message.chat.title,
    )
    # A double tap makes one job; the same button tapped again later makes another.
    window = int(time.time() // DOUBLE_TAP_WINDOW_SECONDS)
    key = f"fu:{follow_up.action}:{job.id}:{origin.message_id}:{follow_up.count or ''}:{window}"
    try:
        if follow_up.action == "again":
            await _answer(query, context, await services.intake.rerun(origin, job, dedupe_key=key))
        elif follow_up.action == "vary":
            result = await services.intake.rerun(origin, job, n=follow_up.count, dedupe_key=key)
            await _answer(query, context, result)
        elif follow_up.action == "continue":
            await query.answer(context.t("followup-preparing"))
            frame = await services.followups.last_frame(job)
            result = await services.intake.rerun(origin, job, start_frame=frame, dedupe_key=key)
            if isinstance(result, Rejected):
                await context.bot.send_message(
                    origin.chat_id, result.text, message_thread_id=origin.thread_id
                )
        else:
            # The delivery may retry for minutes: it runs in the background, and a second tap meanwhile
            # starts nothing new.
            stitch = _stitch(update, context, job, origin)
            services.followups.start(f"stitch:{job.id}:{origin.chat_id}", stitch)
            await answer_note(query, context.t("followup-stitching"))
    except UserFacingError as problem:
        await context.bot.send_message(
            origin.chat_id, context.explain(problem), message_thread_id=origin.thread_id
        )


async def _stitch(update: Update, context: BotContext, job: Job, origin: Origin) -> None:
    """Stitch the chain and send it; tell the user when it cannot be done (unless no one can be told)."""
    try:
        chain = await context.services.followups.chain(job)
        prompts = " → ".join(_prompt_of(clip) for clip in chain.jobs)
        caption = caption_html(prompts, context.t("followup-stitched", clips=len(chain.file_ids)))
        in_group = is_group_chat(origin.chat_type)
        destination = Destination(origin.chat_id, origin.thread_id, origin.message_id, in_group)
        await context.services.followups.stitch_and_send(chain, destination, caption)
    except UserFacingError as problem:
        try:
            await context.bot.send_message(
                origin.chat_id, context.explain(problem), message_thread_id=origin.thread_id
            )
        except REFUSAL_SEND_ERRORS as err:
            logger.warning("Job %s: the stitch problem could not be told: %s", job.id, err)
    except ChatGone as err:
        logger.info("Job %s: the stitched video cannot reach the chat: %s", job.id, err)
    except Exception as err:  # a bug: the error handler logs it, alerts the admins and says so
        await context.application.process_error(update, err)


def _prompt_of(job: Job) -> str:
    return StoredRequest.from_job(job).prompt


async def _answer(query: CallbackQuery, context: BotContext, result: IntakeResult) -> None:
    if isinstance(result, Rejected):
        await query.answer(_plain(result.text), show_alert=True)
    else:
        await query.answer(context.t("retry-already" if result.duplicate else "retry-started"))


def _plain(html_text: str) -> str:
    """Callback alerts show plain text (at most 200 characters)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))[:200]
