"""/start, /help, /models, /quota and the admin commands /grant and /stats."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from tests.e2e.harness import replying_to
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]
ADMIN = 6001
USER = 6002


async def ask(api: FakeBotAPI, chat: Any, text: str) -> str:
    """Send a command and return the bot's answer to it."""
    message = api.users.send_text(chat, None, text)
    call = await api.calls.wait_for(replying_to(message["message_id"], chat.id), timeout=10)
    return str(call.params["text"])


async def test_help_models_and_the_command_menu(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=USER, first_name="Dana")
    async with bot_with():
        start = await ask(api, chat, "/start")
        help_text = await ask(api, chat, "/help")
        models = await ask(api, chat, "/models")

    assert "Dana" in start and "/video" in start
    assert "--seconds" in help_text and "--negative" in help_text and "album" in help_text
    assert models.count("<code>veo-3.1") == 11  # ten models and the default
    assert "$0.15" in models and "$1.20" in models
    menu = api.calls.to("setMyCommands")
    assert {command["command"] for command in _commands(menu[0].params)} == {
        "video",
        "extend",
        "settings",
        "models",
        "quota",
        "buy",
        "history",
        "cancel",
        "language",
        "help",
    }
    assert any(call.params.get("language_code") == "zh" for call in menu)


async def test_quota_grant_and_stats(api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter) -> None:
    admin_chat = api.users.private_chat(user_id=ADMIN)
    user_chat = api.users.private_chat(user_id=USER)
    async with bot_with(admin_user_ids=str(ADMIN), user_budget_usd="0.30"):
        api.users.send_text(user_chat, None, "/video a kite in the wind")
        await api.calls.wait_for(lambda call: call.method == "sendVideo" and call.ok, timeout=15)
        await api.calls.wait_for(
            lambda call: call.method == "editMessageText" and "ready" in call.params["text"]
        )
        quota = await ask(api, user_chat, "/quota")
        refused = await ask(api, user_chat, "/grant 6002 5")
        granted = await ask(api, admin_chat, f"/grant {USER} 2.50")
        quota_after = await ask(api, user_chat, "/quota")
        stats = await ask(api, admin_chat, "/stats")
        not_admin = await ask(api, user_chat, "/stats")
        bad_grant = await ask(api, admin_chat, "/grant someone lots")

    assert "Spent: $0.15" in quota and "Left: $0.15 of $0.30" in quota
    assert "1 × <code>veo-3.1-fast</code>" in quota
    assert "admins" in refused and "admins" in not_admin
    assert "$2.50" in granted and "$2.65" in granted
    assert "Left: $2.65 of $2.80" in quota_after
    assert "1 jobs, 1 clips, $0.15" in stats and "delivered: 1" in stats
    assert "Usage" in bad_grant
    # The admin's own command menu, in each language, has the admin commands; everyone else's has not.
    admin_menus = [
        call.params
        for call in api.calls.to("setMyCommands")
        if call.ok and _scope(call.params) == {"type": "chat", "chat_id": ADMIN}
    ]
    assert {params.get("language_code") for params in admin_menus} == {None, "zh"}
    for params in admin_menus:
        assert [command["command"] for command in _commands(params)][-2:] == ["grant", "stats"]
    default = [call for call in api.calls.to("setMyCommands") if "scope" not in call.params]
    assert default and all("grant" not in str(call.params) for call in default)


def _commands(params: dict[str, Any]) -> list[dict[str, Any]]:
    commands = params["commands"]
    return json.loads(commands) if isinstance(commands, str) else list(commands)


async def test_cancel_stops_waiting_jobs_and_refunds_them(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Any
) -> None:
    gateway.generation_seconds = 6.0  # the busy job must still be generating when its user tries /cancel
    busy = api.users.private_chat(user_id=6101)
    waiting = api.users.private_chat(user_id=6102)
    async with bot_with(max_concurrent_jobs=1):
        api.users.send_text(busy, None, "/video the slot is taken")
        await api.calls.wait_for(
            lambda call: call.method == "editMessageText" and "%" in call.params["text"], timeout=10
        )
        api.users.send_text(waiting, None, "/video I will change my mind")
        await api.calls.wait_for(
            lambda call: call.method == "sendMessage" and call.params["chat_id"] == waiting.id
        )
        answer = await ask(api, waiting, "/cancel")
        told = await api.calls.wait_for(
            lambda call: (
                call.method == "editMessageText"
                and call.params["chat_id"] == waiting.id
                and "Cancelled" in call.params["text"]
            ),
            timeout=10,
        )
        nothing = await ask(api, waiting, "/cancel")
        running = await ask(api, busy, "/cancel")
        await api.calls.wait_for(lambda call: call.method == "sendVideo" and call.ok, timeout=15)

    assert "Cancelled one waiting video" in answer
    assert "Nothing was charged" in told.params["text"]
    assert "no videos waiting" in nothing
    assert "can't be stopped" in running
    prompts = [
        request.json["messages"][0]["content"] for request in gateway.requests_to("/v1/chat/completions")
    ]
    assert prompts == ["the slot is taken"]
    assert api.state.videos_sent(waiting) == [] and len(api.state.videos_sent(busy)) == 1


def _scope(params: dict[str, Any]) -> dict[str, Any] | None:
    scope = params.get("scope")
    return json.loads(scope) if isinstance(scope, str) else scope


async def test_the_profile_descriptions_are_set_per_language(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    async with bot_with():
        pass

    english, chinese = api.state.description("description"), api.state.description("description", "zh")
    assert english is not None and "/video" in english and len(english) <= 512
    assert chinese is not None and "视频" in chinese and len(chinese) <= 512
    short_en, short_zh = (
        api.state.description("short_description"),
        api.state.description("short_description", "zh"),
    )
    assert short_en is not None and "VEO" in short_en and len(short_en) <= 120
    assert short_zh is not None and "视频" in short_zh and len(short_zh) <= 120
