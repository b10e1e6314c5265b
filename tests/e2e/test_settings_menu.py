"""/settings end to end: the menu edits itself, its choices shape the next /video, groups and restarts."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from storage import Database, PreferenceStore
from tests.e2e.harness import replying_to
from tests.fakes.bot_api import FakeBotAPI, FakeChat, FakeUser
from tests.fakes.gateway import FakeGateway

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]


def video_sent(call: Any) -> bool:
    """Matches a successful sendVideo or sendMediaGroup."""
    return call.method in ("sendVideo", "sendMediaGroup") and call.ok


async def open_menu(api: FakeBotAPI, chat: FakeChat, user: FakeUser | None, text: str = "/settings") -> int:
    """Send /settings (or `text`) and return the message_id of the bot's answer."""
    message = api.users.send_text(chat, user, text)
    call = await api.calls.wait_for(replying_to(message["message_id"], chat.id), timeout=10)
    return int(call.result["message_id"])


async def answer(api: FakeBotAPI, chat: FakeChat, text: str, user: FakeUser | None = None) -> str:
    """Send a command and return the text of the bot's reply."""
    message = api.users.send_text(chat, user, text)
    call = await api.calls.wait_for(replying_to(message["message_id"], chat.id), timeout=10)
    return str(call.params["text"])


async def tap(
    api: FakeBotAPI, chat: FakeChat, user: FakeUser | None, menu_id: int, ending: str
) -> dict[str, Any]:
    """Press the menu button whose callback data ends with `ending`; returns the bot's answer to the press."""
    menu = api.state.message(chat, menu_id)
    assert menu is not None
    matches = [data for data in menu.callback_data if data.endswith(ending)]
    assert len(matches) == 1, (ending, menu.callback_data)
    query = api.users.press_button(chat, user, menu_id, matches[0])
    call = await api.calls.wait_for(
        lambda c: c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query["id"],
        timeout=10,
    )
    assert call.ok
    return dict(call.params)


def menu_text(api: FakeBotAPI, chat: FakeChat, menu_id: int) -> str:
    """The menu message as it reads now."""
    menu = api.state.message(chat, menu_id)
    assert menu is not None and menu.text is not None
    return menu.text


async def make_video(api: FakeBotAPI, chat: FakeChat, text: str, user: FakeUser | None = None) -> None:
    """Send a /video command and wait until its video has been delivered."""
    start = len(api.calls)
    api.users.send_text(chat, user, text)
    await api.calls.wait_for(video_sent, timeout=20, start=start)


def stream_models(gateway: FakeGateway) -> list[str]:
    """The model of every Reverse (sync stream) request, in order."""
    return [request.json["model"] for request in gateway.requests_to("/v1/chat/completions")]


async def test_landscape_and_standard_apply_to_the_next_video_and_typed_options_still_win(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=7001)
    async with bot_with():
        menu_id = await open_menu(api, chat, None)
        before = menu_text(api, chat, menu_id)
        first = await tap(api, chat, None, menu_id, ":o:landscape")
        await tap(api, chat, None, menu_id, ":s:standard")
        after = menu_text(api, chat, menu_id)
        await make_video(api, chat, "/video a fox")
        await make_video(api, chat, "/video --portrait a fox")

    assert "veo-3.1-fast" in before and "$0.15" in before and "bot's" in before
    assert first.get("text") == "Saved." and not first.get("show_alert")
    assert "landscape 16:9" in after and "standard" in after and "veo-3.1-landscape" in after
    assert "$0.25" in after and "every chat" in after
    menu = api.state.message(chat, menu_id)
    assert menu is not None and menu.edit_count == 2
    ticked = [
        button["text"] for row in menu.inline_keyboard for button in row if button["text"].startswith("✓")
    ]
    assert ticked == ["✓ 🖥 Landscape", "✓ 🎞 Standard", "✓ Reverse", "✓ × 1"]
    assert all(len(data.encode()) <= 64 for data in menu.callback_data)
    assert stream_models(gateway) == ["veo-3.1-landscape", "veo-3.1"]


async def test_official_four_seconds_720p_makes_an_official_request(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=7002)
    async with bot_with():
        menu_id = await open_menu(api, chat, None)
        reverse_menu = api.state.message(chat, menu_id)
        assert reverse_menu is not None and not any(
            data.endswith(":d:4") for data in reverse_menu.callback_data
        )
        await tap(api, chat, None, menu_id, ":c:official")
        await tap(api, chat, None, menu_id, ":d:4")
        unchanged = await tap(api, chat, None, menu_id, ":r:720p")  # already selected: "not modified"
        text = menu_text(api, chat, menu_id)
        await make_video(api, chat, "/video a fox")

    menu_edits = [call for call in api.calls.to("editMessageText") if call.params["message_id"] == menu_id]
    assert [call.status for call in menu_edits if call.status != 429] == [200, 200, 400]  # 429: flood control
    assert unchanged.get("text") == "Saved."
    assert "Official" in text and "4 s · 720p" in text and "veo-3.1-fast-generate-preview" in text
    assert "$0.30" in text
    [create] = gateway.requests_to("/v1/videos", method="POST")
    assert create.json["model"] == "veo-3.1-fast-generate-preview"
    assert create.json["duration"] == "4"
    assert create.json["metadata"]["resolution"] == "720p"
    assert stream_models(gateway) == []


async def test_someone_elses_menu_answers_with_an_alert_and_changes_nothing(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Path
) -> None:
    group = api.users.group(chat_id=-1007001, title="Makers")
    owner, other = api.users.user(7003, "Owner"), api.users.user(7004, "Other")
    async with bot_with():
        menu_id = await open_menu(api, group, owner)
        before = menu_text(api, group, menu_id)
        refused = await tap(api, group, other, menu_id, ":o:landscape")
        reset = await tap(api, group, other, menu_id, ":reset")
        await make_video(api, group, "/video a fox", owner)

    assert refused["show_alert"] is True and "Only the person who opened this menu" in refused["text"]
    assert reset["show_alert"] is True
    assert menu_text(api, group, menu_id) == before
    assert all(call.params["message_id"] != menu_id for call in api.calls.to("editMessageText"))
    assert stream_models(gateway) == ["veo-3.1-fast"]
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        store = PreferenceStore(db)
        assert await store.get("user", owner.id) is None and await store.get("user", other.id) is None
    finally:
        await db.close()


async def test_group_admin_sets_the_chat_default_for_members_without_their_own(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    group = api.users.group(chat_id=-1007002, title="Film <club>")
    admin, member, picky = (
        api.users.user(7005, "Ada"),
        api.users.user(7006, "Ben"),
        api.users.user(7007, "Pia"),
    )
    api.users.make_admin(group, admin)
    picky_chat = api.users.private_chat(user_id=picky.id, first_name="Pia")
    async with bot_with():
        picky_menu = await open_menu(api, picky_chat, None)
        await tap(api, picky_chat, None, picky_menu, ":s:standard")
        menu_id = await open_menu(api, group, admin, "/settings chat")
        await tap(api, group, admin, menu_id, ":o:landscape")
        chat_menu = menu_text(api, group, menu_id)
        member_menu = await open_menu(api, group, member)
        await make_video(api, group, "/video a fox", member)
        await make_video(api, group, "/video a fox", picky)
        api.state.member_statuses.pop((group.id, admin.id))  # demoted: the old chat menu stops working
        demoted = await tap(api, group, admin, menu_id, ":reset")

    assert "Default for Film &lt;club&gt;" not in chat_menu and "Default for Film <club>" in chat_menu
    assert "landscape 16:9" in chat_menu and "members of this group" in chat_menu
    assert "this group's default applies to you" in menu_text(api, group, member_menu)
    assert "veo-3.1-landscape-fast" in menu_text(api, group, member_menu)
    # The member follows the group; Pia's own settings (set in private) win in the group too.
    assert stream_models(gateway) == ["veo-3.1-landscape-fast", "veo-3.1"]
    assert demoted["show_alert"] is True and "admins" in demoted["text"]
    assert len(api.calls.to("getChatMember")) >= 3


async def test_non_admins_cannot_set_the_chat_default(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    group = api.users.group(chat_id=-1007003, title="Makers")
    member = api.users.user(7008, "Max")
    zh_member = api.users.user(7009, "Li", language_code="zh-hans")
    chat = api.users.private_chat(user_id=7010)
    async with bot_with():
        refused = await answer(api, group, "/settings chat", member)
        refused_zh = await answer(api, group, "/settings chat", zh_member)
        in_private = await answer(api, chat, "/settings chat")
        usage = await answer(api, chat, "/settings everything")
        zh_menu = await open_menu(api, group, zh_member)

    assert "only this group's admins" in refused and "/settings" in refused
    assert "管理员" in refused_zh
    assert "works in groups" in in_private
    assert "/settings chat" in usage
    assert "你的 /video 默认设置" in menu_text(api, group, zh_menu)
    assert gateway.requests == []


async def test_settings_and_old_menus_survive_a_restart(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=7011)
    async with bot_with():
        menu_id = await open_menu(api, chat, None)
        await tap(api, chat, None, menu_id, ":o:landscape")

    async with bot_with():
        pressed = await tap(api, chat, None, menu_id, ":s:standard")  # a menu sent before the restart
        await make_video(api, chat, "/video a fox")
        done = await tap(api, chat, None, menu_id, ":done")

    assert pressed.get("text") == "Saved."
    assert stream_models(gateway) == ["veo-3.1-landscape"]
    menu = api.state.message(chat, menu_id)
    assert menu is not None and menu.inline_keyboard == [] and "Saved. Send /settings" in str(menu.text)
    assert "text" not in done and "show_alert" not in done  # Done closes the menu without a toast


async def test_a_stale_menu_refreshes_instead_of_saving_an_impossible_choice(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=7012)
    async with bot_with():
        old_menu = await open_menu(api, chat, None)
        await tap(api, chat, None, old_menu, ":c:official")
        new_menu = await open_menu(api, chat, None)
        await tap(api, chat, None, new_menu, ":c:reverse")
        stale = await tap(api, chat, None, old_menu, ":d:4")  # Reverse clips are always 8 s

    assert stale.get("text") == "That choice isn't available any more; here is the current menu."
    for menu_id in (old_menu, new_menu):
        menu = api.state.message(chat, menu_id)
        assert menu is not None and "8 s · 720p" in menu_text(api, chat, menu_id)
        assert not any(data.endswith(":d:4") for data in menu.callback_data)
