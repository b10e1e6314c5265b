"""A user asks for a video and gets it: the happy paths, end to end over real HTTP."""

from __future__ import annotations

import base64
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from storage import Database, UserStore
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway
from tests.fakes.media import make_image

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]


async def wait_for_video(api: FakeBotAPI, chat: Any, count: int = 1, timeout: float = 15) -> list[Any]:
    """Wait until the bot has sent `count` videos (or albums of them) into the chat."""
    await api.calls.wait_for(
        lambda call: call.method in ("sendVideo", "sendMediaGroup") and call.ok, timeout=timeout
    )
    return api.state.videos_sent(chat)


async def test_private_video_command_delivers_an_mp4_as_a_reply(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=1001)
    async with bot_with():
        request = api.users.send_text(chat, None, "/video a fox running through snow")
        videos = await wait_for_video(api, chat)
        status = await api.calls.wait_for(
            lambda call: call.method == "editMessageText" and "ready" in call.params.get("text", ""),
            timeout=10,
        )

    assert len(videos) == 1
    video = videos[0]
    assert video.reply_to == request["message_id"]
    assert video.video["width"] == 72 and video.video["height"] == 128  # portrait, as the fake renders
    assert video.video["duration"] >= 1
    assert "a fox running through snow" in video.caption
    assert "veo-3.1-fast" in video.caption
    assert video.upload_size > 0
    sends = api.calls.to("sendMessage")
    assert "a fox running through snow" in sends[0].params["text"]  # the status message came first
    assert status.params["message_id"] == sends[0].result["message_id"]
    chat_requests = gateway.requests_to("/v1/chat/completions")
    assert len(chat_requests) == 1
    body = chat_requests[0].json
    assert body["model"] == "veo-3.1-fast" and body["stream"] is True
    assert body["messages"][0]["content"] == "a fox running through snow"


async def test_photo_with_caption_animates_the_photo_without_leaking_the_token(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=1002)
    photo = make_image(width=640, height=360)
    async with bot_with():
        api.users.send_photo(chat, None, photo, caption="camera slowly zooms in")
        videos = await wait_for_video(api, chat)

    assert len(videos) == 1
    body = gateway.requests_to("/v1/chat/completions")[0].json
    assert body["model"] == "veo-3.1-landscape-fast-fl"  # orientation taken from the photo
    parts = body["messages"][0]["content"]
    images = [part["image_url"]["url"] for part in parts if part["type"] == "image_url"]
    assert len(images) == 1 and images[0].startswith("data:image/jpeg;base64,")
    assert base64.b64decode(images[0].split(",", 1)[1])[:2] == b"\xff\xd8"
    for recorded in gateway.requests:
        assert "TEST-TOKEN" not in repr(recorded)


async def test_the_same_message_delivered_twice_makes_one_job(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=1003)
    async with bot_with():
        message = api.users.send_text(chat, None, "/video a single candle")
        api.users.push_update({"message": message})  # Telegram re-delivers updates after a crash
        await wait_for_video(api, chat)

    assert len(gateway.requests_to("/v1/chat/completions")) == 1
    assert len(api.state.videos_sent(chat)) == 1


async def test_a_video_over_the_upload_limit_is_shrunk_to_fit(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    gateway.video_bytes = 52 * 1024 * 1024
    chat = api.users.private_chat(user_id=1004)
    async with bot_with():
        api.users.send_text(chat, None, "/video a big waterfall")
        [video] = await wait_for_video(api, chat, timeout=40)

    assert 0 < video.upload_size < 50 * 1024 * 1024
    assert video.video["width"] == 72 and video.video["height"] == 128


async def test_several_videos_arrive_as_one_album(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=1005)
    async with bot_with(user_budget_usd="2.00"):
        request = api.users.send_text(chat, None, "/video --n 3 three paper planes")
        await api.calls.wait_for(lambda call: call.method == "sendMediaGroup" and call.ok, timeout=15)

    videos = api.state.videos_sent(chat)
    assert len(videos) == 3
    assert all(video.reply_to == request["message_id"] for video in videos)
    assert "three paper planes" in (videos[0].caption or "")
    assert gateway.requests_to("/v1/chat/completions")[0].json["n"] == 3


async def test_the_ledger_knows_who_asked_and_where(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Any
) -> None:
    group = api.users.group(chat_id=-1001555, title="Film club")
    user = api.users.user(1006, "Eve", language_code="zh-hans")
    async with bot_with():
        api.users.send_text(group, user, "/video a lantern festival")
        await wait_for_video(api, group)

    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        stored = await UserStore(db).get_user(1006)
        async with (
            db.snapshot() as conn,
            conn.execute("SELECT type, title FROM chats WHERE id = ?", (-1001555,)) as rows,
        ):
            chat = await rows.fetchone()
    finally:
        await db.close()
    assert stored is not None and stored.language_code == "zh-hans"
    assert chat is not None and tuple(chat) == ("supergroup", "Film club")
