"""Groups, topics, albums, replies to photos, image files, async and Official jobs, many users at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway
from tests.fakes.media import make_image

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]


def video_sent(call: Any) -> bool:
    """Matches a successful sendVideo or sendMediaGroup."""
    return call.method in ("sendVideo", "sendMediaGroup") and call.ok


async def test_group_topic_command_replies_in_the_topic(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    group = api.users.group(chat_id=-1001234, title="Makers", forum=True)
    topic = api.users.create_topic(group, "Videos")
    user = api.users.user(3001, "Bob")
    async with bot_with():
        api.users.send_text(group, user, "/video@someone_else_bot not for us", thread_id=topic)
        request = api.users.send_text(
            group, user, "/video@veo_test_bot a paper boat --landscape", thread_id=topic
        )
        await api.calls.wait_for(video_sent, timeout=15)

    [video] = api.state.videos_sent(group)
    assert video.thread_id == topic
    assert video.reply_to == request["message_id"]
    assert video.video["width"] > video.video["height"]
    assert all(message.thread_id == topic for message in api.state.bot_messages_in(group))
    assert len(gateway.requests_to("/v1/chat/completions")) == 1


async def test_reply_to_a_photo_in_a_group_uses_that_photo(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    group = api.users.group(chat_id=-1005678)
    user = api.users.user(3002, "Cleo")
    async with bot_with():
        photo = api.users.send_photo(group, user, make_image(width=300, height=500), caption="/video")
        await api.calls.wait_for("sendMessage", timeout=10)  # a bare /video caption asks for a prompt
        api.users.send_text(group, user, "/video the leaves start to fall", reply_to=photo["message_id"])
        await api.calls.wait_for(video_sent, timeout=15)

    body = gateway.requests_to("/v1/chat/completions")[0].json
    assert body["model"] == "veo-3.1-fast-fl"
    assert body["messages"][0]["content"][0] == {"type": "text", "text": "the leaves start to fall"}


async def test_album_of_two_photos_is_first_and_last_frame(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=3003)
    async with bot_with():
        api.users.send_photo(
            chat, None, make_image(color=(255, 0, 0)), caption="day turns to night", media_group_id="g1"
        )
        api.users.send_photo(chat, None, make_image(color=(0, 0, 255)), media_group_id="g1")
        await api.calls.wait_for(video_sent, timeout=15)

    [request] = gateway.requests_to("/v1/chat/completions")
    parts = request.json["messages"][0]["content"]
    assert [part["type"] for part in parts] == ["text", "image_url", "image_url"]


async def test_image_sent_as_a_file_works_like_a_photo(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=3004)
    webp = make_image(width=200, height=100, fmt="WEBP")
    async with bot_with():
        api.users.send_document(chat, None, webp, "frame.webp", "image/webp", caption="waves roll in")
        await api.calls.wait_for(video_sent, timeout=15)

    parts = gateway.requests_to("/v1/chat/completions")[0].json["messages"][0]["content"]
    assert parts[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")  # WEBP converted for Reverse


async def test_async_mode_and_official_model_deliver_through_tasks(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=3005)
    async with bot_with(generation_mode="async"):
        api.users.send_text(chat, None, "/video a lighthouse at dusk")
        await api.calls.wait_for(video_sent, timeout=15)
        start = len(api.calls)
        api.users.send_text(
            chat, None, "/video a lighthouse at dusk --model veo-3.1-fast-generate-preview --seconds 4"
        )
        await api.calls.wait_for(video_sent, timeout=20, start=start)

    creates = gateway.requests_to("/v1/videos", method="POST")
    assert [create.json["model"] for create in creates] == ["veo-3.1-fast", "veo-3.1-fast-generate-preview"]
    assert creates[1].json["duration"] == "4"
    assert creates[1].json["metadata"]["aspectRatio"] == "9:16"  # portrait unless asked otherwise
    assert gateway.requests_to("/v1/chat/completions") == []
    assert len(api.state.videos_sent(chat)) == 2


async def test_many_users_at_once_each_get_their_video_in_about_one_generation_time(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    gateway.generation_seconds = 1.5
    chats = [api.users.private_chat(user_id=4000 + index) for index in range(12)]
    async with bot_with():
        started = time.monotonic()
        for chat in chats:
            api.users.send_text(chat, None, f"/video clip number {chat.id}")
        for chat in chats:
            await api.calls.wait_for(
                lambda call, chat_id=chat.id: video_sent(call) and call.params["chat_id"] == chat_id,
                timeout=20,
            )
        elapsed = time.monotonic() - started

    assert all(len(api.state.videos_sent(chat)) == 1 for chat in chats)
    # Sequential handling would take 12 x 1.5 s; concurrent jobs finish in about one generation time.
    assert elapsed < 8, elapsed
    assert api.calls.stats().too_many_requests == 0
    await asyncio.sleep(0)


async def test_a_full_runner_shows_each_waiting_job_its_place_in_line(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    gateway.generation_seconds = 1.0
    chats = [api.users.private_chat(user_id=4100 + index) for index in range(3)]
    async with bot_with(max_concurrent_jobs=1):
        for chat in chats:
            api.users.send_text(chat, None, "/video one at a time")
        for chat in chats:
            await api.calls.wait_for(
                lambda call, chat_id=chat.id: video_sent(call) and call.params["chat_id"] == chat_id,
                timeout=20,
            )

    def first_status(chat: Any) -> str:
        return next(
            str(call.params["text"])
            for call in api.calls.to("sendMessage")
            if call.params["chat_id"] == chat.id
        )

    assert "In line" not in first_status(chats[0]) and "next in line" not in first_status(chats[0])
    assert "next in line" in first_status(chats[1])
    assert "1 job ahead · about 3 minutes" in first_status(chats[2])  # two rounds of a typical 75 s
    assert all(len(api.state.videos_sent(chat)) == 1 for chat in chats)
