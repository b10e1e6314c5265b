"""Senders who share one Telegram account (anonymous admins, channels) get no budget, defaults or history.

The Bot API reference (Message.from, Message.sender_chat): a message sent on behalf of a chat carries a
fake sender in `from` (GroupAnonymousBot for the group's anonymous admins, Channel_Bot for a member
posting as a channel, 777000 for a linked channel's automatic forward) and the chat in `sender_chat`;
for an anonymous admin `sender_chat` is the group itself.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from tests.e2e.harness import replying_to
from tests.fakes.bot_api import FakeBotAPI, FakeChat
from tests.fakes.gateway import FakeGateway

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
TELEGRAM = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
CHANNEL = {"id": -1009101, "type": "channel", "title": "News"}
PER_USER_COMMANDS = ("/quota", "/settings", "/history", "/language", "/cancel", "/buy")
PACKS = {"STARS_PACKS": "50:0.50"}
_message_ids = itertools.count(900)


def group_dict(group: FakeChat) -> dict[str, Any]:
    return {"id": group.id, "type": group.type, "title": group.title}


def post(
    api: FakeBotAPI,
    group: FakeChat,
    text: str,
    sender: dict[str, Any],
    sender_chat: dict[str, Any],
    **extra: Any,
) -> int:
    """A command sent on behalf of a chat, as Telegram delivers it; returns its message_id."""
    message_id = next(_message_ids)
    command = text.split()[0]
    message = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": group_dict(group),
        "from": sender,
        "sender_chat": sender_chat,
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        **extra,
    }
    api.users.push_update({"message": message})
    return message_id


async def answer_to(api: FakeBotAPI, group: FakeChat, message_id: int) -> Any:
    return await api.calls.wait_for(replying_to(message_id, group.id), timeout=15)


async def test_per_user_commands_refuse_every_kind_of_shared_account(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    group = api.users.group(chat_id=-1009102, title="Discussion")
    member = api.users.user(9103, "Ann")
    senders = {
        "anonymous admin": (ANONYMOUS_ADMIN, group_dict(group), {}),
        "member posting as a channel": (CHANNEL_BOT, CHANNEL, {}),
        "linked channel forward": (TELEGRAM, CHANNEL, {"is_automatic_forward": True}),
    }
    answers: dict[tuple[str, str], Any] = {}
    async with bot_with(**PACKS):
        for (name, (sender, sender_chat, extra)), command in itertools.product(
            senders.items(), PER_USER_COMMANDS
        ):
            message_id = post(api, group, command, sender, sender_chat, **extra)
            answers[name, command] = await answer_to(api, group, message_id)
        own = api.users.send_text(group, member, "/quota")
        own_quota = await answer_to(api, group, own["message_id"])

    for (name, command), call in answers.items():
        text = call.params["text"]
        expected = "Anonymous admins share one account" if name == "anonymous admin" else "sent as a channel"
        assert expected in text, (name, command, text)
        assert "reply_markup" not in call.params, (name, command)  # no menu, no buy buttons
    assert "Your budget" in own_quota.params["text"]  # a member with their own account is answered
    assert not api.calls.to("getChatMember")
    assert gateway.requests == []


async def test_an_anonymous_admin_opens_the_group_menu_and_any_admin_can_use_it(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    group = api.users.group(chat_id=-1009104, title="Makers")
    admin, member = api.users.user(9105, "Ada"), api.users.user(9106, "Ben")
    api.users.make_admin(group, admin)
    async with bot_with():
        as_channel = post(api, group, "/settings chat", CHANNEL_BOT, CHANNEL)
        channel_answer = await answer_to(api, group, as_channel)
        opened = post(api, group, "/settings chat", ANONYMOUS_ADMIN, group_dict(group))
        menu_call = await answer_to(api, group, opened)
        menu_id = menu_call.result["message_id"]
        menu = api.state.message(group, menu_id)
        assert menu is not None
        [landscape] = [data for data in menu.callback_data if data.endswith(":o:landscape")]
        refused = api.users.press_button(group, member, menu_id, landscape)
        pressed = api.users.press_button(group, admin, menu_id, landscape)
        for query in (refused, pressed):
            await api.calls.wait_for(
                lambda c, query=query: (
                    c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query["id"]
                )
            )
        start = len(api.calls)
        api.users.send_text(group, member, "/video a fox")
        await api.calls.wait_for(lambda c: c.method == "sendVideo" and c.ok, timeout=20, start=start)

    assert "sent as a channel" in channel_answer.params["text"]
    assert "Default for Makers" in menu_call.params["text"]
    refusal = api.state.callback_answer(refused["id"]) or {}
    assert refusal.get("show_alert") is True and "admins" in refusal["text"]
    menu = api.state.message(group, menu_id)
    assert menu is not None and menu.text is not None and "landscape 16:9" in menu.text
    assert [request.json["model"] for request in gateway.requests_to("/v1/chat/completions")] == [
        "veo-3.1-landscape-fast"
    ]
