"""English and Simplified Chinese: Telegram's language by default, /language to choose, kept on restart."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from storage import Database, UserStore
from tests.e2e.harness import replying_to
from tests.fakes.bot_api import FakeBotAPI, FloodLimits
from tests.fakes.gateway import FakeGateway

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]
POLICY_CODE = "PUBLIC_ERROR_PROMINENT_PEOPLE_FILTER_FAILED"


@pytest.fixture(autouse=True)
def no_flood_control(api: FakeBotAPI) -> None:
    """Flood control is tested elsewhere; here its whole-second retries would only slow the dialogues."""
    api.flood.configure(FloodLimits.off())


async def ask(
    api: FakeBotAPI, chat: Any, text: str, *, user: Any = None, thread_id: int | None = None
) -> Any:
    """Send a message and return the bot's answer to it (the sendMessage call)."""
    message = api.users.send_text(chat, user, text, thread_id=thread_id)
    return await api.calls.wait_for(replying_to(message["message_id"], chat.id), timeout=10)


async def tap(api: FakeBotAPI, chat: Any, menu_id: int, choice: str, *, user: Any = None) -> tuple[str, str]:
    """Press a /language button; returns (the callback answer, the menu's text after its edit)."""
    start = len(api.calls)
    query = api.users.press_button(chat, user, menu_id, f"lang:{choice}")
    edit = await api.calls.wait_for(
        lambda call: call.method == "editMessageText" and call.ok and call.params["message_id"] == menu_id,
        timeout=10,
        start=start,
    )
    answer = api.state.callback_answer(query["id"])
    assert answer is not None
    return str(answer.get("text")), str(edit.params["text"])


def final_edit(text_part: str) -> Callable[[Any], bool]:
    """Matches a successful status message edit containing `text_part`."""
    return lambda call: call.method == "editMessageText" and call.ok and text_part in call.params["text"]


async def test_telegram_chinese_gets_chinese_texts_until_the_user_picks_english(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=7001, first_name="Wei", language_code="zh-hans")
    async with bot_with():
        help_zh = (await ask(api, chat, "/help")).params["text"]
        refused_zh = (await ask(api, chat, "/video --seconds 4 一只猫在弹钢琴")).params["text"]
        status_zh = (await ask(api, chat, "/video 一位著名演员在舞台上 #policy")).params["text"]
        failed_zh = await api.calls.wait_for(final_edit("内容政策"), timeout=10)

        menu = await ask(api, chat, "/language")
        toast, confirmed = await tap(api, chat, menu.result["message_id"], "en")

        help_en = (await ask(api, chat, "/help")).params["text"]
        start = len(api.calls)
        api.users.send_text(chat, None, "/video a famous actor on stage #policy")
        failed_en = await api.calls.wait_for(final_edit("content policy"), timeout=10, start=start)

    assert "生成视频" in help_zh and "--seconds" in help_zh
    assert "官方模型" in refused_zh and "本次未扣费" in refused_zh
    assert "模型：veo-3.1-fast" in status_zh
    assert POLICY_CODE in failed_zh.params["text"] and "本次未扣费" in failed_zh.params["text"]
    status = api.state.message(chat, failed_zh.params["message_id"])
    assert status is not None
    assert [button["text"] for row in status.inline_keyboard for button in row] == ["🔁 重试"]

    assert "<b>语言</b>：简体中文（自动" in menu.params["text"]
    assert toast == confirmed == "✅ From now on I'll answer you in English."
    assert "Make a video" in help_en and "生成视频" not in help_en
    assert "Nothing was charged" in failed_en.params["text"]


async def test_automatic_goes_back_to_telegrams_language(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=7002, language_code="zh-CN")
    async with bot_with():
        menu = await ask(api, chat, "/language")
        menu_id = menu.result["message_id"]
        _, to_english = await tap(api, chat, menu_id, "en")
        help_en = (await ask(api, chat, "/help")).params["text"]
        toast, automatic = await tap(api, chat, menu_id, "auto")
        help_zh = (await ask(api, chat, "/help")).params["text"]

    assert "From now on" in to_english
    assert "Make a video" in help_en
    assert toast == automatic == "✅ 我会跟随你的 Telegram 语言：简体中文。"
    assert "生成视频" in help_zh
    buttons = api.state.message(chat, menu_id)
    assert buttons is not None
    assert [button["text"] for row in buttons.inline_keyboard for button in row] == [
        "English",
        "简体中文",
        "✓ 🔄 自动（跟随 Telegram 语言）",
    ]


async def test_the_choice_survives_a_restart(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Path
) -> None:
    chinese_phone = api.users.private_chat(user_id=7003, language_code="zh-hans")
    english_phone = api.users.private_chat(user_id=7004, language_code="en")
    async with bot_with():
        menu = await ask(api, chinese_phone, "/language")
        await tap(api, chinese_phone, menu.result["message_id"], "en")
        menu = await ask(api, english_phone, "/language")
        await tap(api, english_phone, menu.result["message_id"], "zh")

    async with bot_with():
        after_restart_en = (await ask(api, chinese_phone, "/help")).params["text"]
        after_restart_zh = (await ask(api, english_phone, "/quota")).params["text"]
        menu_after = (await ask(api, chinese_phone, "/language")).params["text"]

    assert "Make a video" in after_restart_en
    assert "你的额度" in after_restart_zh
    assert "<b>Language</b>: English\n" in menu_after  # chosen, not "automatic"
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        assert await UserStore(db).language_overrides() == {7003: "en", 7004: "zh"}
    finally:
        await db.close()


async def test_in_a_topic_the_menu_stays_in_the_topic_and_each_tap_is_per_user(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    group = api.users.group(chat_id=-1007001, title="Studio", forum=True)
    topic = api.users.create_topic(group, "Videos")
    asker = api.users.user(7005, "Ann", language_code="en")
    tapper = api.users.user(7006, "Bo", language_code="en")
    async with bot_with():
        menu = await ask(api, group, "/language", user=asker, thread_id=topic)
        toast, confirmed = await tap(api, group, menu.result["message_id"], "zh", user=tapper)
        tapper_help = (await ask(api, group, "/help", user=tapper, thread_id=topic)).params["text"]
        asker_help = (await ask(api, group, "/help", user=asker, thread_id=topic)).params["text"]

    assert "Choose the language" in menu.params["text"]
    assert toast == confirmed == "✅ 好的，以后我会用简体中文回复你。"
    assert "生成视频" in tapper_help
    assert "Make a video" in asker_help
    assert all(message.thread_id == topic for message in api.state.bot_messages_in(group))
