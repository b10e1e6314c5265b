"""my_chat_member: the bot added to a group is recorded; removed, the group's queued jobs are refunded."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from storage import Database, QuotaLedger
from tests.e2e.harness import replying_to
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]
GROUP = -1001300
USER = 6301


def chat_row(database: Path) -> sqlite3.Row:
    with sqlite3.connect(database) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT member, left_at FROM chats WHERE id = ?", (GROUP,)).fetchone()
    assert row is not None, "the chat was not recorded"
    return row


async def test_added_then_removed_refunds_the_queued_job_and_sends_nothing_more(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Path
) -> None:
    gateway.generation_seconds = 6.0  # the busy job holds the only slot while the group's job waits
    busy = api.users.private_chat(user_id=6302)
    group = api.users.group(GROUP, "Makers")
    user = api.users.user(USER, "Gil")
    database = tmp_path / "bot.sqlite3"
    async with bot_with(max_concurrent_jobs=1):
        api.users.bot_membership(group, user, "left", "member")
        api.users.send_text(busy, None, "/video the slot is taken")
        await api.calls.wait_for(
            lambda call: call.method == "editMessageText" and "%" in call.params["text"], timeout=10
        )
        added = chat_row(database)
        api.users.send_text(group, user, "/video waiting in the group")
        await api.calls.wait_for(
            lambda call: call.method == "sendMessage" and call.params["chat_id"] == GROUP
        )
        removed_at = len(api.calls)
        api.users.bot_membership(group, user, "member", "left")
        # The slot frees when the busy video is sent; a job still queued in the group would start then.
        await api.calls.wait_for(lambda call: call.method == "sendVideo" and call.ok, timeout=15)
        removed = chat_row(database)
        quiet = [call for call in api.calls[removed_at:] if str(call.params.get("chat_id")) == str(GROUP)]
        # An update already on its way when the bot left is answered, not started.
        late = api.users.send_text(group, user, "/video on its way when I was removed")
        answer = await api.calls.wait_for(replying_to(late["message_id"], GROUP))

    assert added["member"] == 1 and added["left_at"] is None
    assert removed["member"] == 0 and removed["left_at"] is not None
    with sqlite3.connect(database) as conn:
        states = conn.execute("SELECT state FROM jobs WHERE chat_id = ?", (GROUP,)).fetchall()
    assert states == [("cancelled",)]
    db = await Database.open(database)
    try:
        usage = await QuotaLedger(db).usage(USER, period="day", budget_cents=100)
    finally:
        await db.close()
    assert usage.left_cents == 100
    prompts = [
        request.json["messages"][0]["content"] for request in gateway.requests_to("/v1/chat/completions")
    ]
    assert prompts == ["the slot is taken"]
    assert quiet == []
    assert "removed from this chat" in answer.params["text"]
    assert "Nothing was charged" in answer.params["text"]
