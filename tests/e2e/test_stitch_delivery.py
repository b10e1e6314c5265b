"""The free Stitch button when Telegram has trouble: the stitched video is sent like a paid one (retried,
adapted, given up with a clear message), in the background, and a shutdown does not wait for it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from tests.e2e.harness import replying_to
from tests.e2e.test_followups import button, next_videos
from tests.e2e.test_odd_inputs import answered, no_internal_failures
from tests.fakes.bot_api import FakeBotAPI, FakeChat, FakeUser, StoredMessage
from tests.fakes.gateway import FakeGateway

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]
NOT_ENOUGH_RIGHTS = "Bad Request: not enough rights to send videos to the chat"


async def continued_clip(api: FakeBotAPI, chat: FakeChat, user: FakeUser | None) -> StoredMessage:
    """A video and its continuation: the continuation carries the Stitch button."""
    api.users.send_text(chat, user, "/video a kite over the dunes")
    [first] = await next_videos(api, chat, 0)
    start = len(api.calls)
    api.users.press_button(chat, user, first.message_id, button(first, "continue"))
    videos = await next_videos(api, chat, start)
    return videos[-1]


def tap_stitch(
    api: FakeBotAPI, chat: FakeChat, user: FakeUser | None, clip: StoredMessage
) -> tuple[int, dict[str, Any]]:
    """Press the clip's Stitch button: the index of the calls that follow, and the callback query."""
    start = len(api.calls)
    return start, api.users.press_button(chat, user, clip.message_id, button(clip, "stitch"))


def video_taken(call: Any) -> bool:
    return bool(call.method == "sendVideo" and call.ok)


def sends_after(api: FakeBotAPI, method: str, start: int) -> list[Any]:
    return [call for call in api.calls.to(method) if call.index >= start]


async def test_a_stitch_that_meets_bad_gateways_and_flood_control_arrives_once(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=8201)
    async with bot_with():
        continued = await continued_clip(api, chat, None)
        bad_gateway = api.faults.inject("sendVideo", error_code=502, count=2)
        flood = api.faults.inject("sendVideo", error_code=429, retry_after=1, count=1)
        start, query = tap_stitch(api, chat, None, continued)
        sent = await api.calls.wait_for(video_taken, timeout=60, start=start)
        answer = await answered(api, query["id"])

    assert answer["text"] == "🧵 Stitching…" and not answer.get("show_alert")
    assert api.calls.find(lambda call: call.method == "answerCallbackQuery", start).index < sent.index
    assert (bad_gateway.hits, flood.hits) == (2, 1)
    attempts = sends_after(api, "sendVideo", start)
    assert [call.status for call in attempts] == [502, 502, 429, 200]
    stitched = api.state.videos_sent(chat)
    assert len(stitched) == 3 and "2 clips stitched" in (stitched[-1].caption or "")
    assert stitched[-1].reply_to == continued.message_id
    assert not sends_after(api, "sendMessage", start)  # no error text besides the video
    no_internal_failures(api)


async def test_a_double_tap_on_stitch_sends_one_video(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=8207)
    async with bot_with():
        continued = await continued_clip(api, chat, None)
        api.faults.inject("sendVideo", error_code=502, count=1)  # the first stitch is still busy a while
        start, first = tap_stitch(api, chat, None, continued)
        _, second = tap_stitch(api, chat, None, continued)
        answers = [await answered(api, tap["id"]) for tap in (first, second)]
        await api.calls.wait_for(video_taken, timeout=60, start=start)

    assert [answer["text"] for answer in answers] == ["🧵 Stitching…"] * 2
    assert [call.status for call in sends_after(api, "sendVideo", start)] == [502, 200]
    assert len(api.state.videos_sent(chat)) == 3
    no_internal_failures(api)


async def test_a_stitch_for_a_user_who_blocked_the_bot_sends_nothing_more(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=8202)
    async with bot_with():
        continued = await continued_clip(api, chat, None)
        api.users.block_bot(chat.user or 8202)
        start, query = tap_stitch(api, chat, None, continued)
        refused = await api.calls.wait_for(
            lambda call: call.method == "sendVideo" and call.status == 403, timeout=60, start=start
        )
        await answered(api, query["id"])
    # The bot stopped only after the stitch had finished: nothing more was tried.

    assert "blocked" in (refused.description or "")
    assert len(sends_after(api, "sendVideo", start)) == 1  # a refusal for good is not retried
    assert not sends_after(api, "sendMessage", start)
    assert len(api.state.videos_sent(chat)) == 2
    no_internal_failures(api)


async def test_a_group_that_forbids_videos_is_told_what_to_do(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    group = api.users.group(chat_id=-1008203)
    owner = api.users.user(8203, "Owner")
    async with bot_with():
        continued = await continued_clip(api, group, owner)
        api.faults.inject("sendVideo", error_code=400, description=NOT_ENOUGH_RIGHTS, count=None)
        start, _ = tap_stitch(api, group, owner, continued)
        told = await api.calls.wait_for(
            lambda call: call.method == "sendMessage" and call.ok, timeout=60, start=start
        )

    assert "may not send videos in this chat" in told.params["text"]
    assert "tap Stitch again" in told.params["text"]
    assert [call.status for call in sends_after(api, "sendVideo", start)] == [400]
    assert len(api.state.videos_sent(group)) == 2
    no_internal_failures(api)


async def test_a_stitch_telegram_does_not_take_within_the_window_is_explained(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=8204)
    async with bot_with(delivery_retry_minutes=0.03):  # about two seconds
        continued = await continued_clip(api, chat, None)
        fault = api.faults.inject("sendVideo", error_code=502, count=None)
        start, _ = tap_stitch(api, chat, None, continued)
        told = await api.calls.wait_for(replying_to_nothing_in(chat), timeout=60, start=start)
        api.faults.clear()

    assert "did not take the stitched video" in told.params["text"]
    assert fault.hits >= 2  # sent again before giving up
    assert len(api.state.videos_sent(chat)) == 2
    no_internal_failures(api)


async def test_telegram_failing_to_give_the_clips_back_is_explained(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=8208)
    async with bot_with():
        continued = await continued_clip(api, chat, None)
        api.faults.inject("getFile", error_code=502, count=1)
        start, _ = tap_stitch(api, chat, None, continued)
        told = await api.calls.wait_for(replying_to_nothing_in(chat), timeout=60, start=start)

    assert "Telegram could not be reached just now" in told.params["text"]
    assert not sends_after(api, "sendVideo", start)
    no_internal_failures(api)


async def test_a_clip_telegram_refuses_to_give_back_says_why(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    # A 400 is a NetworkError in PTB too: it must not read as "Telegram could not be reached".
    chat = api.users.private_chat(user_id=8209)
    async with bot_with():
        continued = await continued_clip(api, chat, None)
        api.faults.inject("getFile", error_code=400, count=1, description="Bad Request: file is too big")
        start, _ = tap_stitch(api, chat, None, continued)
        told = await api.calls.wait_for(replying_to_nothing_in(chat), timeout=60, start=start)

    assert "couldn't fetch that video back" in told.params["text"]
    assert not sends_after(api, "sendVideo", start)
    no_internal_failures(api)


async def test_a_shutdown_ends_a_stitch_still_retrying_and_other_users_are_served_meanwhile(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Path
) -> None:
    chat = api.users.private_chat(user_id=8205)
    other = api.users.private_chat(user_id=8206)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(bot_with())  # a 60-minute delivery window
        continued = await continued_clip(api, chat, None)
        fault = api.faults.inject("sendVideo", error_code=502, count=None)
        tap_stitch(api, chat, None, continued)
        while fault.hits < 2:
            await asyncio.sleep(0.05)
        asked = api.users.send_text(other, None, "/quota")
        quota = await api.calls.wait_for(replying_to(asked["message_id"], other.id), timeout=20)
        stopping = time.monotonic()
        async with asyncio.timeout(60):  # inline, the stitch would hold application.stop() for an hour
            await stack.aclose()
        stopped_after = time.monotonic() - stopping

    assert "Your budget" in quota.params["text"]
    assert stopped_after < 45
    assert len(api.state.videos_sent(chat)) == 2
    assert not list((tmp_path / "tmp").glob("followup-*"))  # the cancelled stitch left no files
    no_internal_failures(api)


def replying_to_nothing_in(chat: FakeChat) -> Callable[[Any], bool]:
    """A successful sendMessage into the chat (the stitch's messages quote nothing)."""
    return lambda call: call.method == "sendMessage" and call.ok and call.params.get("chat_id") == chat.id
