"""Buttons under a delivered video: Again, Variations, Continue and Stitch, for the owner only."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from storage import Database, QuotaLedger
from tests.e2e.harness import replying_to
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]


def button(message: Any, action: str) -> str:
    """The callback data of the message's button for `action`."""
    return next(data for data in message.callback_data if data.startswith(f"fu:{action}:"))


async def next_videos(api: FakeBotAPI, chat: Any, start: int) -> list[Any]:
    await api.calls.wait_for(
        lambda call: call.method in ("sendVideo", "sendMediaGroup") and call.ok, timeout=20, start=start
    )
    return api.state.videos_sent(chat)


async def test_again_variations_continue_and_stitch(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=7001)
    async with bot_with(user_budget_usd="5.00"):
        api.users.send_text(chat, None, "/video a sailboat at sea")
        [first] = await next_videos(api, chat, 0)
        labels = [button_["text"] for row in first.reply_markup["inline_keyboard"] for button_ in row]
        assert labels == [
            "🔁 Again · $0.15",
            "➡️ Continue · $0.15",
            "🎲 ×2 · $0.30",
            "🎲 ×3 · $0.45",
            "🎲 ×4 · $0.60",
        ]

        start = len(api.calls)
        api.users.press_button(chat, None, first.message_id, button(first, "again"))
        videos = await next_videos(api, chat, start)
        assert len(videos) == 2

        start = len(api.calls)
        api.users.press_button(
            chat, None, first.message_id, "fu:vary:" + button(first, "again").split(":")[2] + ":2"
        )
        await api.calls.wait_for(
            lambda call: call.method == "sendMediaGroup" and call.ok, timeout=20, start=start
        )
        assert len(api.state.videos_sent(chat)) == 4

        second = api.state.videos_sent(chat)[1]
        start = len(api.calls)
        api.users.press_button(chat, None, second.message_id, button(second, "continue"))
        videos = await next_videos(api, chat, start)
        continued = videos[-1]
        assert continued.reply_to == second.message_id
        assert "🧵 Stitch 2 clips · free" in [
            b["text"] for row in continued.reply_markup["inline_keyboard"] for b in row
        ]

        start = len(api.calls)
        api.users.press_button(chat, None, continued.message_id, button(continued, "stitch"))
        videos = await next_videos(api, chat, start)
        stitched = videos[-1]

    requests = gateway.requests_to("/v1/chat/completions")
    assert [request.json["model"] for request in requests] == [
        "veo-3.1-fast",
        "veo-3.1-fast",
        "veo-3.1-fast",
        "veo-3.1-fast-fl",
    ]
    assert requests[2].json["n"] == 2
    frame = requests[3].json["messages"][0]["content"][1]["image_url"]["url"]
    assert frame.startswith("data:image/jpeg;base64,")
    assert "2 clips stitched" in stitched.caption
    assert stitched.video["duration"] >= continued.video["duration"] + second.video["duration"] - 1
    assert len(requests) == 4  # stitching costs nothing upstream


async def test_only_the_owner_can_use_the_buttons(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    group = api.users.group(chat_id=-1007001)
    owner = api.users.user(7002, "Owner")
    other = api.users.user(7003, "Other")
    async with bot_with():
        api.users.send_text(group, owner, "/video a red balloon")
        [video] = await next_videos(api, group, 0)
        query = api.users.press_button(group, other, video.message_id, button(video, "again"))
        await api.calls.wait_for("answerCallbackQuery")

    answer = api.state.callback_answer(query["id"])
    assert answer is not None and answer.get("show_alert") is True
    assert "someone else" in answer["text"]
    assert len(gateway.requests_to("/v1/chat/completions")) == 1


async def test_extend_chains_clips_into_one_longer_video(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Any
) -> None:
    chat = api.users.private_chat(user_id=7004)
    gateway.generation_seconds = 2.0  # long enough for the status message to show the chain's progress
    async with bot_with(user_budget_usd="1.00"):
        usage = api.users.send_text(chat, None, "/extend soon")
        await api.calls.wait_for(replying_to(usage["message_id"]), timeout=10)
        too_long = api.users.send_text(chat, None, "/extend 90 a very long river")
        refused = await api.calls.wait_for(replying_to(too_long["message_id"]), timeout=10)
        start = len(api.calls)
        api.users.send_text(chat, None, "/extend 20 a hot-air balloon over hills")
        [video] = await next_videos(api, chat, start)
        final = await api.calls.wait_for(
            lambda call: call.method == "editMessageText" and "ready" in call.params["text"], timeout=10
        )

    assert "at most 5 clips" in refused.params["text"]
    requests = gateway.requests_to("/v1/chat/completions")
    assert [request.json["model"] for request in requests] == [
        "veo-3.1-fast",
        "veo-3.1-fast-fl",
        "veo-3.1-fast-fl",
    ]
    assert all(
        len(request.json["messages"][0]["content"]) == 2 for request in requests[1:]
    )  # text + last frame
    single_clip = gateway_clip_seconds = 8
    assert (
        video.video["duration"] >= 3 * gateway_clip_seconds - 2
        or video.video["duration"] >= 3 * single_clip // 8
    )
    assert "3 clips" in final.params["text"]
    statuses = [call.params["text"] for call in api.calls.to("editMessageText")]
    assert any("%" in text for text in statuses)
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        assert (await QuotaLedger(db).usage(7004, period="day", budget_cents=100)).spent_cents == 45
    finally:
        await db.close()


async def test_a_double_tap_makes_one_job(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=7005)
    async with bot_with():
        api.users.send_text(chat, None, "/video a paper crane")
        [video] = await next_videos(api, chat, 0)
        start = len(api.calls)
        first = api.users.press_button(chat, None, video.message_id, button(video, "again"))
        second = api.users.press_button(chat, None, video.message_id, button(video, "again"))
        await next_videos(api, chat, start)
        await api.calls.wait_for(lambda call: call.method == "answerCallbackQuery" and call.ok, start=start)

    answers = [api.state.callback_answer(query["id"]) or {} for query in (first, second)]
    assert sorted(answer.get("text", "") for answer in answers) == [
        "That retry is already on its way.",
        "🔁 Trying again…",
    ]
    assert len(gateway.requests_to("/v1/chat/completions")) == 2
