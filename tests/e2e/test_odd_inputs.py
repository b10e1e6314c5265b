"""Odd inputs from real clients: forged buttons, odd digits, invisible prompts, channels, anonymous admins."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from tests.e2e.harness import replying_to
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway
from tests.fakes.media import make_image

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]
ADMIN = 6101
INTERNAL_FAILURE = "Something went wrong"


def no_internal_failures(api: FakeBotAPI) -> None:
    texts = [str(call.params.get("text", "")) for call in api.calls if call.method == "sendMessage"]
    assert not [text for text in texts if INTERNAL_FAILURE in text], texts


async def answered(api: FakeBotAPI, query_id: str) -> dict[str, Any]:
    for _ in range(150):
        answer = api.state.callback_answer(query_id)
        if answer is not None:
            return answer
        await asyncio.sleep(0.1)
    raise AssertionError(f"callback query {query_id} never answered")


async def test_forged_and_stale_buttons_are_answered_with_an_alert(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=6102)
    async with bot_with():
        message = api.users.send_text(chat, None, "/language")
        menu = await api.calls.wait_for(replying_to(message["message_id"], chat.id), timeout=15)
        menu_id = menu.result["message_id"]
        for data in ("fu:vary:abc:²", "fu:again:no-such-job", "zz:whatever", "set:u:²:done", "lang:xx"):
            query = api.users.press_crafted_button(chat, None, menu_id, data)
            answer = await answered(api, query["id"])
            assert answer.get("show_alert") is True, (data, answer)
            assert answer.get("text"), data

    no_internal_failures(api)
    assert gateway.requests_to("/v1/chat/completions") == []


async def test_odd_digits_invisible_prompts_and_huge_grants_get_clear_answers(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=ADMIN)
    cases = [
        ("/extend ²⁰ a fox in snow", "/extend"),
        ("/video --seed ٣ a fox", "--seed"),
        ("/video \u200b\u200c\u200d\ufeff\u2060", "Tell me what to film"),
        (f"/grant {2**64} 5", "too large"),
        ("/grant ² 5", "/grant"),
        (f"/grant 5 {'9' * 30}", "/grant"),
    ]
    async with bot_with(admin_user_ids=str(ADMIN)):
        for text, expected in cases:
            message = api.users.send_text(chat, None, text)
            reply = await api.calls.wait_for(replying_to(message["message_id"], chat.id), timeout=15)
            assert expected in reply.params["text"], (text, reply.params["text"])

    no_internal_failures(api)
    assert gateway.requests_to("/v1/chat/completions") == []


async def test_channel_posts_are_ignored_and_anonymous_admins_are_refused(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    channel = {"id": -1009001, "type": "channel", "title": "News"}
    group = api.users.group(chat_id=-1009002, title="Discussion")
    photo = make_image(width=320, height=240)
    async with bot_with():
        posted = api.users.send_photo(group, api.users.user(6103, "Ann"), photo, caption="warm-up")
        file_id = posted["photo"][-1]["file_id"]
        photo_post = {
            "message_id": 50,
            "date": int(time.time()),
            "chat": channel,
            "sender_chat": channel,
            "photo": posted["photo"],
            "caption": "/video the sea at dawn",
        }
        api.users.push_update({"channel_post": photo_post})
        api.users.push_update({"edited_channel_post": {**photo_post, "edit_date": int(time.time())}})
        anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
        group_chat = {"id": group.id, "type": "supergroup", "title": "Discussion"}
        api.users.push_update(
            {
                "message": {
                    "message_id": 900,
                    "date": int(time.time()),
                    "chat": group_chat,
                    "from": anonymous,
                    "sender_chat": group_chat,
                    "text": "/video a quiet harbour",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                }
            }
        )
        reply = await api.calls.wait_for(replying_to(900, group.id), timeout=15)
        assert "Anonymous admins" in reply.params["text"]
        # Nothing was downloaded or answered for the channel posts.
        await asyncio.sleep(1)
        assert not [call for call in api.calls if call.params.get("chat_id") == channel["id"]]
        assert not [call for call in api.calls.to("getFile") if call.params.get("file_id") == file_id]

    no_internal_failures(api)
    assert gateway.requests_to("/v1/chat/completions") == []


async def test_a_refusal_that_cannot_be_sent_is_one_log_line_not_a_traceback(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, caplog: pytest.LogCaptureFixture
) -> None:
    chat = api.users.private_chat(user_id=6104)
    caplog.set_level(logging.INFO)
    async with bot_with():
        api.faults.inject(
            "sendMessage", error_code=400, retry_after=None, description="Bad Request: chat not found"
        )
        api.users.send_text(chat, None, "/video")
        await api.calls.wait_for(lambda call: call.method == "sendMessage" and not call.ok, timeout=15)
        later = api.users.send_text(chat, None, "/video")
        await api.calls.wait_for(replying_to(later["message_id"], chat.id), timeout=15)

    assert [record for record in caplog.records if "not sent" in record.getMessage()]
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]
    no_internal_failures(api)
