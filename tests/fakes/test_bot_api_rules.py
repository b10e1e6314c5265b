"""The fake Bot API's rules (rules.py): calls checked against api.json, text and caption limits, HTML."""

from __future__ import annotations

import html
from pathlib import Path

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest

from tests.fakes.bot_api import DEFAULT_TOKEN, FakeBotAPI
from tests.fakes.bot_api.rules import BotApiSpec, parse_html
from tests.fakes.media import make_image, mp4_bytes

pytestmark = pytest.mark.filterwarnings(
    "ignore:Please use 'Bot\\.:telegram.warnings.PTBUserWarning"  # do_api_request on purpose
)

TOKEN = DEFAULT_TOKEN
BUTTONS = InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="again")]])


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
