"""The fake Bot API, exercised by a real python-telegram-bot Bot and Application over loopback HTTP."""

from __future__ import annotations

import asyncio
import html
import json
import signal
import sys
import time
from pathlib import Path
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
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.bot_api import DEFAULT_TOKEN, FakeBotAPI, FloodLimits
from tests.fakes.bot_api.rules import BotApiSpec, parse_html
from tests.fakes.media import make_image, mp4_bytes

pytestmark = [
    pytest.mark.filterwarnings("ignore:Please use 'Bot\\.:telegram.warnings.PTBUserWarning"),
    # PTB 22 warns from inside RetryAfter itself; nothing in these tests reads the deprecated int form
    pytest.mark.filterwarnings(
        "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
    ),
]

TOKEN = DEFAULT_TOKEN
REPO = Path(__file__).resolve().parents[2]
BUTTONS = InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="again")]])


class ManualClock:
    """A clock the test moves by hand, so flood windows pass without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def bot_factory() -> Any:
    def make(api: FakeBotAPI) -> Bot:
        return Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url)

    return make


def build_app(api: FakeBotAPI) -> Application[Any, Any, Any, Any, Any, Any]:
    return Application.builder().token(TOKEN).base_url(api.base_url).base_file_url(api.base_file_url).build()


async def start_polling(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=5)


async def stop_polling(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


# -- valid calls and spec checking ---------------------------------------------------------------


async def test_valid_calls_return_real_objects_and_update_state(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat(user_id=501, first_name="Ann")
    me = await bot.get_me()
    sent = await bot.send_message(chat.id, "<b>Ready</b> to go", parse_mode="HTML", reply_markup=BUTTONS)
    second = await bot.send_message(chat.id, "next", reply_parameters=ReplyParameters(sent.message_id))

    assert me.username == "veo_test_bot" and me.can_join_groups
    assert (sent.message_id, second.message_id) == (1, 2)
    assert sent.text == "Ready to go" and sent.entities[0].type == "bold" and sent.entities[0].length == 5
    assert sent.from_user is not None and sent.from_user.id == me.id and sent.chat.id == chat.id
    assert second.reply_to_message is not None and second.reply_to_message.message_id == 1
    state = api.state.bot_messages_in(chat)
    assert [m.text for m in state] == ["Ready to go", "next"]
    assert state[0].callback_data == ["again"] and state[1].reply_to == 1


async def test_unknown_method_is_404(api: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendMesage", api_kwargs={"chat_id": 1, "text": "x"})
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{api.base_url}{TOKEN}/sendMesage", data={"chat_id": "1"})
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


async def test_wrong_token_is_401(api: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("654321:WRONG-TOKEN", base_url=api.base_url):
            pass
    assert api.calls[-1].status == 401


async def test_missing_wrong_and_unknown_parameters_are_400(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    with pytest.raises(BadRequest, match=r'(?i)parameter "text" is required'):
        await bot.do_api_request("sendMessage", api_kwargs={"chat_id": chat.id})
    with pytest.raises(BadRequest, match=r"(?i)message_thread_id"):
        await bot.send_message(chat.id, "x", message_thread_id="seven")  # type: ignore[arg-type]
    with pytest.raises(BadRequest, match=r'(?i)unknown parameter "txet"'):
        await bot.do_api_request("sendMessage", api_kwargs={"chat_id": chat.id, "txet": "typo"})
    with pytest.raises(BadRequest, match=r"(?i)disable_notification"):
        await bot.do_api_request(
            "sendMessage", api_kwargs={"chat_id": chat.id, "text": "x", "disable_notification": "maybe"}
        )
    assert api.state.messages(chat) == []


async def test_nested_objects_are_checked_against_types(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    no_text = {"inline_keyboard": [[{"callback_data": "x"}]]}
    with pytest.raises(BadRequest, match=r'(?i)required field "text"'):
        await bot.do_api_request(
            "sendMessage", api_kwargs={"chat_id": chat.id, "text": "x", "reply_markup": no_text}
        )
    with pytest.raises(BadRequest, match=r"(?i)can't parse"):
        await bot.do_api_request(
            "sendMessage", api_kwargs={"chat_id": chat.id, "text": "x", "reply_markup": "{not json"}
        )
    with pytest.raises(BadRequest, match=r"(?i)Text buttons are unallowed"):
        await bot.send_message(chat.id, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("t")]]))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            chat.id,
            "x",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("t", callback_data="x" * 65)]]),
        )
    with pytest.raises(BadRequest, match=r"(?i)command"):
        await bot.do_api_request("setMyCommands", api_kwargs={"commands": [{"command": "video"}]})
    gif = [{"type": "gif", "media": "x"}, {"type": "photo", "media": "y"}]
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{api.base_url}{TOKEN}/sendMediaGroup", json={"chat_id": chat.id, "media": gif}
        )
    assert response.status_code == 400 and 'media[0].type must be "photo"' in response.json()["description"]


async def test_json_and_form_bodies_are_accepted(api: FakeBotAPI) -> None:
    chat = api.users.private_chat()
    url = f"{api.base_url}{TOKEN}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    async with httpx.AsyncClient() as client:
        as_json = await client.post(url, json={"chat_id": chat.id, "text": "json", "reply_markup": markup})
        as_form = await client.post(
            url, data={"chat_id": str(chat.id), "text": "form", "reply_markup": json.dumps(markup)}
        )
        bad_int = await client.post(url, json={"chat_id": chat.id, "text": "x", "message_thread_id": True})
    assert as_json.json()["result"]["reply_markup"] == markup
    assert as_form.json()["result"]["text"] == "form"
    assert bad_int.status_code == 400 and bad_int.json()["ok"] is False


# -- text, captions and HTML ---------------------------------------------------------------------


async def test_text_and_caption_limits(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    await bot.send_message(chat.id, "a" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(chat.id, "a" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(chat.id, "<b> </b>", parse_mode="HTML")
    image = make_image()
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(chat.id, image, caption="c" * 1025)
    tagged = "<b>" + "c" * 1024 + "</b>"  # 1031 characters before parsing, 1024 after
    photo = await bot.send_photo(chat.id, image, caption=tagged, parse_mode="HTML")
    assert photo.caption is not None and len(photo.caption) == 1024


async def test_broken_html_is_rejected_and_escaped_html_passes(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: Can't find end tag"):
        await bot.send_message(chat.id, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r'(?i)Unsupported start tag "div"'):
        await bot.send_message(chat.id, "<div>x</div>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(chat.id, "prompt: a < b", parse_mode="HTML")
    raw = 'a < b & "c" <i>not a tag</i>'
    sent = await bot.send_message(chat.id, f"<i>{html.escape(raw)}</i>", parse_mode="HTML")
    assert sent.text == raw
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("italic", 0, len(raw))]


def test_html_parser_matches_telegram_offsets() -> None:
    text, entities = parse_html(
        '😀 <b>bold <i>both</i></b> <a href="https://x.org/?a=1&amp;b=2">link</a> &#65;&#x42; &nope '
        '<pre><code class="language-python">x</code></pre><tg-spoiler>s</tg-spoiler><blockquote expandable>q'
        "</blockquote>"
    )
    assert text == "😀 bold both link AB &nope xsq"
    found = [(e["type"], e["offset"], e["length"], e.get("url") or e.get("language")) for e in entities]
    assert found == [
        ("bold", 3, 9, None),  # the emoji is two UTF-16 code units
        ("italic", 8, 4, None),
        ("text_link", 13, 4, "https://x.org/?a=1&b=2"),
        ("pre", 27, 1, "python"),
        ("spoiler", 28, 1, None),
        ("expandable_blockquote", 29, 1, None),
    ]


# -- edits, deletes, replies, topics -------------------------------------------------------------


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


# -- flood control and fault injection -----------------------------------------------------------


async def test_flood_control_private_and_group(bot_factory: Any) -> None:
    clock = ManualClock()
    async with FakeBotAPI(TOKEN, clock=clock) as api, bot_factory(api) as bot:
        chat = api.users.private_chat()
        group = api.users.group(-1003, "Busy")
        for _ in range(3):
            await bot.send_message(chat.id, "burst")
        with pytest.raises(RetryAfter):
            await bot.send_message(chat.id, "one too many")
        for _ in range(5):
            await bot.send_chat_action(chat.id, "typing")  # chat actions are not limited
        clock.now += 1.0
        await bot.send_message(chat.id, "after a second")
        for index in range(20):
            await bot.send_message(group.id, f"group {index}")
        with pytest.raises(RetryAfter):
            await bot.edit_message_text("edits count too", group.id, 1)
        assert api.calls.stats().too_many_requests == 2
        assert api.calls.to("editMessageText")[-1].description == "Too Many Requests: retry after 3"


async def test_flood_time_scale_and_disable(bot_factory: Any) -> None:
    fast = FloodLimits(private_burst=1, time_scale=0.2)  # one Telegram second is 200 ms
    async with FakeBotAPI(TOKEN, flood=fast) as api, bot_factory(api) as bot:
        chat = api.users.private_chat()
        await bot.send_message(chat.id, "1")
        with pytest.raises(RetryAfter):
            await bot.send_message(chat.id, "2")
        await asyncio.sleep(0.25)
        await bot.send_message(chat.id, "3")
        api.flood.configure(FloodLimits.off())
        for index in range(10):
            await bot.send_message(chat.id, str(index))
        assert len(api.state.bot_messages_in(chat)) == 12


async def test_fault_injection(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    api.faults.inject("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(RetryAfter, match=r"(?i)7"):
        await bot.send_message(chat.id, "x")
    api.faults.inject("sendMessage", error_code=502)
    with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
        await bot.send_message(chat.id, "x")
    api.faults.inject_disconnect("sendMessage", after_execute=True)
    with pytest.raises(NetworkError):
        await bot.send_message(chat.id, "sent but unanswered")
    api.faults.inject("sendMessage", error_code=403)
    with pytest.raises(Forbidden):
        await bot.send_message(chat.id, "x")
    api.faults.inject_delay("getMe", 0.05, count=1)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.05
    assert [m.text for m in api.state.bot_messages_in(chat)] == ["sent but unanswered"]
    assert [c.status for c in api.calls.to("sendMessage")] == [429, 502, 0, 403]


async def test_unimplemented_method_is_logged_not_faked(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    with pytest.raises(NetworkError, match=r"(?i)does not implement sendPoll"):
        await bot.send_poll(chat.id, "Q?", ["a", "b"])
    assert api.calls.stats().not_implemented == {"sendPoll": 1}


# -- files ---------------------------------------------------------------------------------------


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


async def test_upload_limit_is_413(bot_factory: Any) -> None:
    async with (
        FakeBotAPI(TOKEN, flood=FloodLimits.off(), upload_limit=10_000) as api,
        bot_factory(api) as bot,
    ):
        chat = api.users.private_chat()
        with pytest.raises(NetworkError, match=r"(?i)Request Entity Too Large"):
            await bot.send_document(chat.id, b"\0" * 10_001, filename="big.bin")
        assert api.calls[-1].status == 413 and api.state.messages(chat) == []


async def test_get_file_download_round_trip(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    data = mp4_bytes()
    sent = await bot.send_video(chat.id, data)
    assert sent.video is not None
    downloaded = await (await bot.get_file(sent.video.file_id)).download_as_bytearray()
    photo = make_image(width=400, height=300)
    message = api.users.send_photo(chat, None, photo, caption="/video make it move")
    largest = message["photo"][-1]
    received = await (await bot.get_file(largest["file_id"])).download_as_bytearray()

    assert bytes(downloaded) == data
    assert bytes(received) == photo
    assert [(p["width"], p["height"]) for p in message["photo"]] == [(90, 68), (320, 240), (400, 300)]
    assert message["caption_entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("missing")


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


# -- updates through a real Application ---------------------------------------------------------


async def test_application_command_handler_gets_updates(api: FakeBotAPI) -> None:
    chat = api.users.private_chat(first_name="Ann")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_user is not None
        await update.effective_message.reply_text(f"Hello {update.effective_user.first_name}: {context.args}")

    app = build_app(api)
    app.add_handler(CommandHandler("start", start))
    await start_polling(app)
    try:
        api.users.send_text(chat, None, "/start@veo_test_bot now")
        reply = await api.calls.wait_for(lambda call: call.method == "sendMessage" and call.ok, timeout=5)
    finally:
        await stop_polling(app)
    assert reply.params["text"] == "Hello Ann: ['now']"
    assert api.queue.pending_count == 0  # PTB confirmed the update through the offset


async def test_photos_and_callback_queries_reach_handlers(api: FakeBotAPI) -> None:
    chat = api.users.private_chat()
    photos: list[bytes] = []

    async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        file = await update.effective_message.photo[-1].get_file()
        photos.append(bytes(await file.download_as_bytearray()))
        await update.effective_message.reply_text("Got it", reply_markup=BUTTONS)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Starting again")
        await query.edit_message_text("Restarted")

    app = build_app(api)
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(CallbackQueryHandler(on_button))
    images = [make_image(color=(10, 20, 30)), make_image(color=(200, 100, 0))]
    await start_polling(app)
    try:
        for image in images:
            api.users.send_photo(chat, None, image, media_group_id="album-1")
        first = await api.calls.wait_for(lambda c: c.method == "sendMessage" and c.ok, timeout=5)
        reply = await api.calls.wait_for(
            lambda c: c.method == "sendMessage" and c.ok, timeout=5, start=first.index + 1
        )
        with pytest.raises(LookupError, match=r"(?i)no button"):
            api.users.press_button(chat, None, reply.result["message_id"], "missing")
        query = api.users.press_button(chat, None, reply.result["message_id"], "again")
        await api.calls.wait_for("editMessageText", timeout=5)
    finally:
        await stop_polling(app)
    assert sorted(photos) == sorted(images)
    assert api.state.callback_answer(query["id"]) is not None
    assert api.state.callback_answer(query["id"])["text"] == "Starting again"  # type: ignore[index]
    edited = api.state.message(chat, reply.result["message_id"])
    assert edited is not None and edited.text == "Restarted" and edited.inline_keyboard == []


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


async def test_group_privacy_mode(api: FakeBotAPI, bot: Bot) -> None:
    group = api.users.group(-1004, "Team")
    bob = api.users.user(8, "Bob")
    api.users.send_text(group, bob, "just chatting")
    api.users.send_text(group, bob, "/video@other_bot cats")
    api.users.send_text(group, bob, "/video@veo_test_bot cats")
    api.users.send_text(group, bob, "hey @veo_test_bot")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["/video@veo_test_bot cats", "hey @veo_test_bot"]


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


async def test_outgoing_objects_follow_the_spec(api: FakeBotAPI, bot: Bot) -> None:
    spec = BotApiSpec()
    group = api.users.group(-1005, "Forum", forum=True)
    carol = api.users.user(9, "Carol")
    topic = api.users.create_topic(group, "Videos")
    api.users.send_text(group, carol, "/video cats", thread_id=topic)
    api.users.send_photo(group, carol, make_image(), caption="/video@veo_test_bot")
    api.users.send_document(group, carol, b"%PDF-1.4", "a.pdf", "application/pdf", caption="/video")
    sent = await bot.send_video(group.id, mp4_bytes(), message_thread_id=topic, reply_markup=BUTTONS)
    api.users.send_sticker(group, carol, reply_to=sent.message_id)  # a reply to the bot passes privacy mode
    api.users.press_button(group, carol, sent.message_id, "again")
    api.users.bot_membership(group, carol, "member", "left")
    updates = api.queue.take(100)
    for update in updates:
        spec.check_object("Update", update)
    messages = api.state.messages(group)
    for message in messages:
        spec.check_object("Message", api.state.message_dict(message))
    assert len(updates) == 6 and len(messages) == 6  # the topic's service message has no update
    with pytest.raises(ValueError, match="chat"):
        spec.check_object("Message", {"message_id": 1, "date": 0})


def test_missing_spec_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="spec_path"):
        BotApiSpec(tmp_path / "api.json")


# -- the separate process used by the benchmark --------------------------------------------------


async def test_runs_as_a_process_with_control_api() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.bot_api",
        "--port",
        "0",
        "--no-flood",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        root = (await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip()
        async with httpx.AsyncClient(base_url=root, timeout=5) as control:
            await control.post(
                "/_control/chats", json={"type": "private", "user_id": 42, "first_name": "Dee"}
            )
            await control.post("/_control/send_text", json={"chat_id": 42, "text": "/start"})
            async with Bot(TOKEN, base_url=f"{root}/bot") as bot:
                updates = await bot.get_updates()
                await bot.send_message(42, "hi")
            calls = (await control.get("/_control/calls")).json()["result"]
            stats = (await control.get("/_control/stats")).json()["result"]
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 10)
    assert root.startswith("http://127.0.0.1:")
    assert updates[0].message is not None and updates[0].message.text == "/start"
    assert [c["method"] for c in calls] == ["getMe", "getUpdates", "sendMessage"]
    assert stats["calls"]["sendMessage"] == 1
    assert code == 0
