"""Everything that goes wrong ends with a clear message, a refund and nothing charged."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from storage import Database, QuotaLedger
from tests.e2e.harness import replying_to
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway
from tests.fakes.media import make_image

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]


def final_edit(text_part: str) -> Callable[[Any], bool]:
    """Matches the status message edit that contains `text_part`."""
    return lambda call: (
        call.method == "editMessageText" and call.ok and text_part in call.params.get("text", "")
    )


async def usage_left(settings_path: Any, user_id: int) -> int:
    db = await Database.open(settings_path)
    try:
        usage = await QuotaLedger(db).usage(user_id, period="day", budget_cents=100)
        return usage.left_cents
    finally:
        await db.close()


async def test_content_policy_failure_is_explained_and_refunded(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Any
) -> None:
    chat = api.users.private_chat(user_id=2001)
    async with bot_with():
        api.users.send_text(chat, None, "/video a famous actor on stage #policy")
        edit = await api.calls.wait_for(final_edit("content policy"), timeout=10)

    assert "PUBLIC_ERROR_PROMINENT_PEOPLE_FILTER_FAILED" in edit.params["text"]
    assert "Nothing was charged" in edit.params["text"]
    status = api.state.message(chat, edit.params["message_id"])
    [retry] = status.callback_data
    assert retry.startswith("fu:again:")
    assert api.state.videos_sent(chat) == []
    assert await usage_left(tmp_path / "bot.sqlite3", 2001) == 100


async def test_cut_stream_and_server_errors_refund(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Any
) -> None:
    chat = api.users.private_chat(user_id=2002)
    async with bot_with():
        api.users.send_text(chat, None, "/video waves on a beach #cut")
        cut = await api.calls.wait_for(final_edit("Nothing was charged"), timeout=10)
        assert "connection to the video service failed" in cut.params["text"]
        start = len(api.calls)
        api.users.send_text(chat, None, "/video waves on a beach #500")
        edit = await api.calls.wait_for(final_edit("Nothing was charged"), timeout=15, start=start)

    assert "problem" in edit.params["text"]
    assert await usage_left(tmp_path / "bot.sqlite3", 2002) == 100


async def test_a_runaway_stream_line_is_a_service_problem_and_refunded(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Any
) -> None:
    chat = api.users.private_chat(user_id=2090)
    async with bot_with():
        api.users.send_text(chat, None, "/video waves on a beach #longline")
        edit = await api.calls.wait_for(final_edit("Nothing was charged"), timeout=10)

    assert "The video service had a problem" in edit.params["text"]
    assert api.state.videos_sent(chat) == []
    assert await usage_left(tmp_path / "bot.sqlite3", 2090) == 100


async def test_bad_inputs_get_friendly_answers_and_cost_nothing(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=2003)
    cases = [
        ("/video", "Tell me what to film"),
        ("/video --colour red a fox", "--colour"),
        ("/video --seconds 5 a fox", "5"),
        ("/video --seconds 4 a fox", "Official model"),
        ("/video --n 9 a fox", "4"),
        ("/video --model <b>veo</b> a fox", "“&lt;b&gt;veo&lt;/b&gt;”"),  # shown as typed, not parsed
    ]
    async with bot_with():
        for text, expected in cases:
            message = api.users.send_text(chat, None, text)
            reply = await api.calls.wait_for(replying_to(message["message_id"]), timeout=10)
            assert expected in reply.params["text"], (text, reply.params["text"])
        pdf = api.users.send_document(
            chat, None, b"%PDF-1.4 not an image", "paper.pdf", "application/pdf", caption="x"
        )
        reply = await api.calls.wait_for(replying_to(pdf["message_id"]), timeout=10)
        assert "JPEG, PNG, WEBP" in reply.params["text"]
        odd = api.users.send_document(chat, None, b"data", "<b>notes.txt", "", caption="x")
        reply = await api.calls.wait_for(replying_to(odd["message_id"]), timeout=10)
        assert "&lt;b&gt;notes.txt" in reply.params["text"]  # the file name is shown, not parsed
        huge = api.users.send_document(
            chat, None, b"\xff\xd8\xff" + bytes(30 * 1024 * 1024), "huge.jpg", "image/jpeg"
        )
        reply = await api.calls.wait_for(replying_to(huge["message_id"]), timeout=10)
        assert "up to 20 MB" in reply.params["text"]
        sticker = api.users.send_sticker(chat, None)
        reply = await api.calls.wait_for(replying_to(sticker["message_id"]), timeout=10)
        assert "Stickers" in reply.params["text"]

    assert gateway.requests == []


async def test_html_in_prompts_is_shown_literally(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=2004)
    prompt = "a <b>bold</b> fox & <i>friends</i> </pre>"
    async with bot_with():
        api.users.send_text(chat, None, f"/video {prompt}")
        await api.calls.wait_for(lambda call: call.method == "sendVideo" and call.ok, timeout=15)

    video = api.state.videos_sent(chat)[0]
    assert prompt in video.caption  # the caption shows the text, not formatting
    assert all(call.status != 400 for call in api.calls)


async def test_budget_refusal_says_what_is_left_and_when_it_resets(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=2005)
    async with bot_with(user_budget_usd="0.20"):
        api.users.send_text(chat, None, "/video a standard clip --standard")  # $0.25 > $0.20
        reply = await api.calls.wait_for("sendMessage", timeout=10)

    assert "$0.25" in reply.params["text"] and "$0.20" in reply.params["text"]
    assert "UTC" in reply.params["text"]
    assert gateway.requests == []


async def test_allow_list_refuses_politely(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=2006)
    async with bot_with(allowed_user_ids="1,2"):
        api.users.send_text(chat, None, "/video a fox")
        reply = await api.calls.wait_for("sendMessage", timeout=10)

    assert "private" in reply.params["text"]
    assert gateway.requests == []


async def test_a_photo_telegram_cannot_give_back_is_explained_and_costs_nothing(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Any
) -> None:
    chat = api.users.private_chat(user_id=2095)
    photo = make_image(width=640, height=360)
    async with bot_with():
        api.faults.inject("getFile", error_code=502, retry_after=None, count=1)
        down = api.users.send_photo(chat, None, photo, caption="the sea at dawn")
        unreachable = await api.calls.wait_for(replying_to(down["message_id"], chat.id), timeout=15)
        api.faults.inject(
            "getFile", error_code=400, retry_after=None, count=1, description="Bad Request: wrong file_id"
        )
        gone = api.users.send_photo(chat, None, photo, caption="the sea at dusk")
        refused = await api.calls.wait_for(replying_to(gone["message_id"], chat.id), timeout=15)

    assert "could not be reached" in unreachable.params["text"]
    assert "couldn't fetch that image" in refused.params["text"]
    for answer in (unreachable, refused):
        assert "Nothing was charged" in answer.params["text"]
        assert "went wrong" not in answer.params["text"]
    assert gateway.requests_to("/v1/chat/completions") == [] and gateway.requests_to("/v1/videos") == []
    assert api.calls.to("sendVideo") == []
    assert await usage_left(tmp_path / "bot.sqlite3", 2095) == 100
