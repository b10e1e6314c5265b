"""/video, photos, image files and albums: parse, fetch images, hand over to the intake service."""

from __future__ import annotations

import re
from collections.abc import Sequence

from telegram import Message, Update

from bot.chats import is_group_chat
from bot.context import BotContext
from bot.frame_fetcher import ImageProblem, ImageRef, check_downloadable
from bot.jobs.build import FrameImage
from bot.jobs.intake import Rejected
from bot.user_errors import UserFacingError
from bot.video_options import is_ascii_number, parse_video_args
from handlers.common import origin_of, refused_shared_account, reply
from handlers.images import image_ref

SHORTEST_EXTENSION_SECONDS = 9
MAX_FRAMES = 2


def strip_command(text: str, bot_username: str | None, command: str = "video") -> str | None:
    """The text after `/video` (or `/video@thisbot`); None when it is not our command."""
    match = re.match(rf"^/{command}(?:@(?P<bot>\w+))?(?=\s|$)", text.strip(), re.IGNORECASE)
    if match is None:
        return None
    addressed_to = match.group("bot")
    if addressed_to and bot_username and addressed_to.lower() != bot_username.lower():
        return None
    return text.strip()[match.end() :]


async def video_command(update: Update, context: BotContext) -> None:
    """`/video [options] <prompt>`, optionally as a reply to a photo."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    arguments = strip_command(message.text, context.bot.username)
    if arguments is None:
        return
    await _request_video(context, message, arguments, _replied_image(message))


async def extend_command(update: Update, context: BotContext) -> None:
    """`/extend <seconds> [options] <prompt>`: a longer video chained from clips, delivered as one MP4."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    arguments = strip_command(message.text, context.bot.username, "extend")
    if arguments is None:
        return
    seconds_text, rest = [*arguments.split(maxsplit=1), "", ""][:2]
    seconds_text = seconds_text.lower().removesuffix("s").removesuffix("秒")
    usable = is_ascii_number(seconds_text) and int(seconds_text) >= SHORTEST_EXTENSION_SECONDS
    if not usable or not rest.strip():
        await reply(message, context.t("extend-usage"))
        return
    refs = _replied_image(message)
    await _request_video(context, message, rest, refs, extend_to_seconds=int(seconds_text))


def _replied_image(message: Message) -> list[ImageRef]:
    """The image of the message this one replies to, if any (a non-image is just ignored)."""
    replied = message.reply_to_message
    try:
        ref = image_ref(replied) if replied is not None else None
    except ImageProblem:
        ref = None  # replying to a non-image (a PDF, a sticker) is just a text request
    return [ref] if ref is not None else []


async def photo_message(update: Update, context: BotContext) -> None:
    """A photo or image file: privately its caption is the prompt; in groups it must start with /video."""
    message = update.effective_message
    if message is None:
        return
    parts = [message]
    if message.media_group_id:
        album = await context.services.albums.add(message.chat_id, message.media_group_id, message)
        if album is None:
            return  # another update of the same album answers for all of it
        parts = album
    captioned = next((part for part in parts if part.caption), parts[0])
    caption = captioned.caption or ""
    arguments = strip_command(caption, context.bot.username)
    if is_group_chat(message.chat.type):
        if arguments is None:
            return  # a photo in a group that does not ask us for anything
    elif arguments is None:
        arguments = caption
    try:
        refs = [ref for part in parts if (ref := image_ref(part)) is not None]
    except ImageProblem as problem:
        await reply(captioned, context.explain(problem))
        return
    if len(refs) > MAX_FRAMES:
        await reply(captioned, context.t("album-too-many", count=str(len(refs))))
        return
    await _request_video(context, captioned, arguments, refs)


async def unusable_file(update: Update, context: BotContext) -> None:
    """A sticker, a PDF or another file in a private chat: say what works instead."""
    message = update.effective_message
    if message is None:
        return
    try:
        image_ref(message)
    except ImageProblem as problem:
        await reply(message, context.explain(problem))


async def _request_video(
    context: BotContext,
    message: Message,
    arguments: str,
    refs: Sequence[ImageRef],
    *,
    extend_to_seconds: int | None = None,
) -> None:
    if await refused_shared_account(message, context):
        return
    frames: list[FrameImage] = []
    try:
        options = parse_video_args(arguments)
        for ref in refs:
            check_downloadable(ref)
        if not options.prompt.strip():
            await reply(message, context.t("photo-needs-caption" if refs else "video-usage"))
            return
        for ref in refs:
            frames.append(await context.services.frames.fetch(ref))
    except UserFacingError as problem:
        await reply(message, context.explain(problem))
        return
    origin = origin_of(message, context)
    result = await context.services.intake.submit(
        origin, options, frames, extend_to_seconds=extend_to_seconds
    )
    if isinstance(result, Rejected):
        await reply(message, result.text)
    # Accepted: the job's own status message answers (a duplicate update already has one).
