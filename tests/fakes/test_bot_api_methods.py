"""The fake Bot API's methods (methods.py), called by a real PTB Bot over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    InputMediaVideo,
    ReplyParameters,
)
from telegram.error import BadRequest, Conflict

from tests.fakes.bot_api import DEFAULT_TOKEN, FakeBotAPI
from tests.fakes.bot_api.rules import BotApiSpec
from tests.fakes.media import make_image, mp4_bytes

TOKEN = DEFAULT_TOKEN
BUTTONS = InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="again")]])


async def test_edit_rules(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    sent = await bot.send_message(chat.id, "Working…", reply_markup=BUTTONS)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Working…", chat.id, sent.message_id, reply_markup=BUTTONS)
    edited = await bot.edit_message_text("Done", chat.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat.id, 999)
    with pytest.raises(BadRequest, match=r"(?i)there is no caption"):
        await bot.edit_message_caption(chat.id, sent.message_id, caption="c")
    user_message = api.users.send_text(chat, None, "hello")
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("x", chat.id, user_message["message_id"])

    assert isinstance(edited, type(sent)) and edited.edit_date is not None
    state = api.state.message(chat, sent.message_id)
    assert state is not None and state.text == "Done" and state.reply_markup is None and state.edit_count == 1


async def test_delete_and_reply_rules(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    sent = await bot.send_message(chat.id, "bye")
    assert await bot.delete_message(chat.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(chat.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(chat.id, "x", reply_parameters=ReplyParameters(sent.message_id))
    lenient = ReplyParameters(sent.message_id, allow_sending_without_reply=True)
    unreplied = await bot.send_message(chat.id, "x", reply_parameters=lenient)
    assert unreplied.reply_to_message is None
    assert [m.message_id for m in api.state.messages(chat, include_deleted=True) if m.deleted] == [
        sent.message_id
    ]


async def test_topics_only_in_forums(api: FakeBotAPI, bot: Bot) -> None:
    plain = api.users.group(-1001, "Plain")
    forum = api.users.group(-1002, "Forum", forum=True)
    alice = api.users.user(7, "Alice")
    topic = api.users.create_topic(forum, "Videos")
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(plain.id, "x", message_thread_id=topic)
    in_topic = await bot.send_message(forum.id, "x", message_thread_id=topic)
    asked = api.users.send_text(forum, alice, "/video cats", thread_id=topic)
    answer = await bot.send_message(forum.id, "ok", reply_parameters=ReplyParameters(asked["message_id"]))
    assert in_topic.message_thread_id == topic and in_topic.is_topic_message
    assert answer.message_thread_id == topic  # a reply lands in the replied message's topic


async def test_send_video_stores_real_mp4(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    data = mp4_bytes(width=72, height=128, seconds=2.0)
    sent = await bot.send_video(
        chat.id, data, caption="<b>cats</b>", parse_mode="HTML", supports_streaming=True, filename="clip.mp4"
    )
    assert sent.video is not None and sent.video.file_size == len(data)
    again = await bot.send_video(chat.id, sent.video.file_id)

    assert (sent.video.width, sent.video.height) == (72, 128)
    assert again.video is not None and again.video.file_id == sent.video.file_id
    videos = api.state.videos_sent(chat)
    assert videos[0].video is not None and videos[0].video["duration"] == 2
    assert [v.upload_size for v in videos] == [len(data), len(data)]
    assert videos[0].supports_streaming and videos[0].caption == "cats"
    assert api.state.file_bytes(sent.video.file_id) == data
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type Video as Photo"):
        await bot.send_photo(chat.id, sent.video.file_id)
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_video(chat.id, "no-such-file-id")


async def test_send_media_group_with_attachments(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    media: list[InputMediaPhoto | InputMediaVideo] = [
        InputMediaPhoto(make_image(), caption="first"),
        InputMediaVideo(mp4_bytes(), caption="second"),
    ]
    messages = await bot.send_media_group(chat.id, media)
    with pytest.raises(BadRequest, match=r"(?i)2-10 items"):
        await bot.send_media_group(chat.id, [InputMediaPhoto(make_image())])

    assert len({m.media_group_id for m in messages}) == 1 and messages[0].media_group_id
    assert messages[0].photo and messages[1].video and messages[1].caption == "second"
    assert [m.kind for m in api.state.bot_messages_in(chat)] == ["photo", "video"]
    assert api.calls.stats().uploaded_bytes > 0


async def test_get_updates_offsets_long_poll_and_conflict(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    for text in ("one", "two", "three"):
        api.users.send_text(chat, None, text)
    first = await bot.get_updates(limit=2)
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in first + rest if u.message] == ["one", "two", "three"]

    waiting = asyncio.create_task(bot.get_updates(offset=rest[-1].update_id + 1, timeout=5))
    await asyncio.sleep(0.05)  # let the long poll start waiting
    api.users.send_text(chat, None, "late")
    late = await asyncio.wait_for(waiting, 2)
    assert [u.message.text for u in late if u.message] == ["late"]

    polls = api.queue.polls_started
    older = asyncio.create_task(bot.get_updates(offset=late[-1].update_id + 1, timeout=5))
    while api.queue.polls_started == polls:  # the long poll has reached the server
        await asyncio.sleep(0.005)
    async with httpx.AsyncClient() as second_instance:  # PTB's own pool allows one getUpdates at a time
        newer = await second_instance.post(f"{api.base_url}{TOKEN}/getUpdates", data={"timeout": "0"})
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
        await asyncio.wait_for(older, 2)
    assert newer.json() == {"ok": True, "result": []}


async def test_webhook_delivery_and_conflict(api: FakeBotAPI, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    class Hook(tornado.web.RequestHandler):
        def post(self) -> None:
            received.append(
                (self.request.headers.get("X-Telegram-Bot-Api-Secret-Token"), json.loads(self.request.body))
            )

    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/hook", Hook)]))
    server.add_sockets(sockets)
    try:
        url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/hook"
        assert await bot.set_webhook(url, secret_token="s3cret")
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await bot.get_updates()
        api.users.send_text(api.users.private_chat(), None, "via webhook")
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.01)
        info = await bot.get_webhook_info()
        assert await bot.delete_webhook()
    finally:
        server.stop()
        await server.close_all_connections()
    assert received[0][0] == "s3cret" and received[0][1]["message"]["text"] == "via webhook"
    assert info.url == url and info.pending_update_count == 0


async def test_commands_per_scope(api: FakeBotAPI, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("video", "Make a video")])
    await bot.set_my_commands([BotCommand("video", "Сделать видео")], language_code="ru")
    await bot.set_my_commands([BotCommand("help", "Help")], scope=BotCommandScopeAllPrivateChats())
    default = await bot.get_my_commands()
    assert [c.command for c in default] == ["video"]
    assert api.state.commands(language_code="ru")[0]["description"] == "Сделать видео"
    assert api.state.commands({"type": "all_private_chats"}) == [{"command": "help", "description": "Help"}]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Video!", "bad")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_descriptions_per_language_within_limits(api: FakeBotAPI, bot: Bot) -> None:
    await bot.set_my_description("x" * 512)
    await bot.set_my_short_description("Short", language_code="zh")
    assert api.state.description("description") == "x" * 512
    assert api.state.description("short_description", "zh") == "Short"
    with pytest.raises(BadRequest):
        await bot.set_my_description("x" * 513)
    with pytest.raises(BadRequest):
        await bot.set_my_short_description("x" * 121)
    await bot.set_my_short_description("", language_code="zh")
    assert api.state.description("short_description", "zh") is None


@pytest.mark.filterwarnings("ignore:Please use 'Bot\\.:telegram.warnings.PTBUserWarning")  # do_api_request
async def test_chat_members_and_administrators(api: FakeBotAPI, bot: Bot) -> None:
    spec = BotApiSpec()
    group = api.users.group(-1007, "Makers")
    owner, admin, member = api.users.user(11, "Olga"), api.users.user(12, "Adam"), api.users.user(13, "Mia")
    api.users.make_admin(group, owner, owner=True)
    api.users.make_admin(group, admin.id)
    api.users.make_admin(group, api.bot_user)

    statuses = [(await bot.get_chat_member(group.id, user.id)).status for user in (owner, admin, member)]
    admins = await bot.get_chat_administrators(group.id)
    with pytest.raises(BadRequest, match=r"(?i)user not found"):
        await bot.get_chat_member(group.id, 999)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.get_chat_member(-1999, owner.id)
    with pytest.raises(BadRequest, match=r"(?i)no administrators in the private chat"):
        await bot.get_chat_administrators(api.users.private_chat(14).id)
    with pytest.raises(BadRequest, match=r'(?i)parameter "user_id" is required'):
        await bot.do_api_request("getChatMember", api_kwargs={"chat_id": group.id})
    with pytest.raises(ValueError, match="private"):
        api.users.make_admin(api.users.private_chat(15), 15)

    assert statuses == ["creator", "administrator", "member"]
    assert {(m.user.id, m.status) for m in admins} == {
        (11, "creator"),
        (12, "administrator"),
        (api.bot_user.id, "administrator"),
    }
    results = [call.result for call in api.calls.to("getChatMember") if call.ok]
    results += [item for call in api.calls.to("getChatAdministrators") if call.ok for item in call.result]
    assert len(results) == 6
    for result in results:
        spec.check_object("ChatMember", result)
