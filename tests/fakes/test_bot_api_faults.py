"""Fault injection in the fake Bot API, seen by a real PTB Bot (and httpx) over loopback HTTP."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from telegram import Bot
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from tests.fakes.bot_api import ANY_METHOD, FakeBotAPI
from tests.fakes.bot_api.faults import Fault, FaultPlan
from tests.fakes.bot_api.server import DISCONNECTED
from tests.fakes.media import mp4_bytes

pytestmark = [
    # PTB 22 warns from inside RetryAfter itself; nothing in these tests reads the deprecated int form
    pytest.mark.filterwarnings(
        "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
    ),
]

LONG_WINDOW = 60.0  # far longer than the calls made inside it, even on a loaded machine


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def wait_until_over(fault: Fault, api: FakeBotAPI) -> None:
    """Sleep until a windowed fault is no longer pending."""
    while fault in api.faults.pending:
        await asyncio.sleep(0.05)


# -- time windows --------------------------------------------------------------------------------


def test_a_window_catches_every_call_until_it_ends_and_a_count_caps_it() -> None:
    clock = ManualClock()
    plan = FaultPlan(clock)
    window = plan.add(Fault("error", "sendVideo", None), for_seconds=30)
    capped = plan.add(Fault("disconnect", ANY_METHOD, 2), for_seconds=30)
    assert [plan.take("sendVideo", "error") is window for _ in range(5)] == [True] * 5
    clock.now = 29.9
    assert plan.take("SENDVIDEO", "error") is window
    assert plan.take("getMe", "error") is None  # another method
    assert plan.take("getMe", "disconnect") is capped
    assert plan.take("sendVideo", "disconnect") is capped
    assert plan.take("sendVideo", "disconnect") is None  # the count ended it first
    clock.now = 30.0
    assert plan.take("sendVideo", "error") is None
    assert plan.pending == []
    assert (window.hits, capped.hits) == (6, 2)


def test_a_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="for_seconds"):
        FaultPlan().add(Fault("error", "getMe"), for_seconds=0)


def test_every_matching_delay_applies_once_per_call() -> None:
    plan = FaultPlan()
    plan.add(Fault("delay", "getMe", None, seconds=0.1))
    plan.add(Fault("delay", ANY_METHOD, 1, seconds=0.2))
    assert [fault.seconds for fault in plan.take_all("getMe", "delay")] == [0.1, 0.2]
    assert [fault.seconds for fault in plan.take_all("getMe", "delay")] == [0.1]


async def test_502_window_on_any_method_then_calls_work_again(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    fault = api.faults.inject(ANY_METHOD, error_code=502, for_seconds=LONG_WINDOW)
    for _ in range(3):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(chat.id, "x")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_me()
    assert fault.hits == 4
    api.faults.clear()
    short = api.faults.inject(ANY_METHOD, error_code=502, for_seconds=0.2)
    await wait_until_over(short, api)
    await bot.send_message(chat.id, "after the window")
    assert [c.status for c in api.calls.to("sendMessage")] == [502, 502, 502, 200]
    assert [m.text for m in api.state.bot_messages_in(chat)] == ["after the window"]


async def test_502_window_on_one_method_leaves_others_alone(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    api.faults.inject("sendMessage", error_code=502, for_seconds=LONG_WINDOW, count=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(chat.id, "x")
    await bot.get_me()
    await bot.send_message(chat.id, "the count ran out before the window")
    assert [c.status for c in api.calls.to("sendMessage")] == [502, 502, 200]


async def test_connection_reset_window(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    fault = api.faults.inject_disconnect("sendMessage", for_seconds=LONG_WINDOW)
    for _ in range(3):
        with pytest.raises(NetworkError):
            await bot.send_message(chat.id, "never arrives")
    await bot.get_me()  # other methods still answer
    assert fault.hits == 3
    assert api.state.bot_messages_in(chat) == []  # dropped before the method ran
    api.faults.clear()
    api.faults.inject_disconnect("sendMessage", for_seconds=LONG_WINDOW, after_execute=True)
    for text in ("arrives, answer lost", "also arrives"):
        with pytest.raises(NetworkError):
            await bot.send_message(chat.id, text)
    api.faults.clear()
    short = api.faults.inject_disconnect("sendMessage", for_seconds=0.2)
    await wait_until_over(short, api)
    await bot.send_message(chat.id, "answered")
    assert [c.status for c in api.calls.to("sendMessage")] == [0, 0, 0, 0, 0, 200]
    assert [m.text for m in api.state.bot_messages_in(chat)] == [
        "arrives, answer lost",
        "also arrives",
        "answered",
    ]


# -- the whole Bot API down ----------------------------------------------------------------------


async def test_down_refuses_connections_cuts_long_polls_and_comes_back_with_state(
    api: FakeBotAPI, bot: Bot
) -> None:
    chat = api.users.private_chat()
    await bot.send_message(chat.id, "before")
    poll = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=40))
    await asyncio.sleep(0.2)  # the poll is waiting in the fake
    await api.faults.go_down(None)
    assert api.faults.is_down
    with pytest.raises(NetworkError):
        await poll  # the pending long poll is cut
    port = int(api.root.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(timeout=5) as client:
            await client.get(f"{api.base_url}{api.token}/getMe")
    for method in (bot.get_me(), bot.get_updates(), bot.send_message(chat.id, "lost")):
        with pytest.raises(NetworkError):
            await method
    api.users.send_text(chat, None, "written while the bot could not reach Telegram")
    await api.faults.come_up()
    assert not api.faults.is_down
    updates = await bot.get_updates()
    await bot.send_message(chat.id, "after")
    texts = [update.message.text for update in updates if update.message]
    assert texts == ["written while the bot could not reach Telegram"]
    assert [m.text for m in api.state.bot_messages_in(chat)] == ["before", "after"]


async def test_down_for_seconds_comes_back_by_itself(api: FakeBotAPI, bot: Bot) -> None:
    await api.faults.go_down(0.3)
    with pytest.raises(NetworkError):
        await bot.get_me()
    await api.faults.wait_up(timeout=30)
    assert (await bot.get_me()).username == api.bot_user.username


async def test_stop_during_an_outage_releases_the_port() -> None:
    async with FakeBotAPI() as fake:
        await fake.faults.go_down(LONG_WINDOW)
    port = int(fake.root.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


# -- slow answers and answers that never come ----------------------------------------------------


async def wait_for_text(api: FakeBotAPI, chat_id: int, text: str) -> None:
    """Wait until the bot's message with this text is in the chat."""
    while text not in [m.text for m in api.state.bot_messages_in(chat_id)]:
        await asyncio.sleep(0.02)


async def test_late_answer_after_the_method_ran(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    api.faults.inject_delay("sendMessage", 2.0, count=1, after_execute=True)
    send = asyncio.create_task(bot.send_message(chat.id, "late", read_timeout=30))
    await asyncio.wait_for(wait_for_text(api, chat.id, "late"), 10)
    assert not send.done()  # Telegram has the message; the answer is still on its way
    message = await send
    assert message.text == "late"
    api.faults.inject_delay("sendMessage", 30.0, count=1, after_execute=True)
    with pytest.raises(TimedOut):
        await bot.send_message(chat.id, "too late", read_timeout=0.3)
    record = await api.calls.wait_for(lambda c: c.status == DISCONNECTED, timeout=10)
    assert record.description is not None and "gave up" in record.description
    assert [m.text for m in api.state.bot_messages_in(chat)] == ["late", "too late"]
    assert [c.status for c in api.calls.to("sendMessage")] == [200, 0]


async def test_hang_after_execute_keeps_the_message_and_never_answers(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    fault = api.faults.inject_hang("sendMessage")
    with pytest.raises(TimedOut):
        await bot.send_message(chat.id, "in the chat, never confirmed", read_timeout=0.5)
    record = await api.calls.wait_for(lambda c: c.status == DISCONNECTED, timeout=10)
    assert record.description == "the method ran; no answer until the client gave up"
    assert record.result["text"] == "in the chat, never confirmed"
    await bot.send_message(chat.id, "answered")  # count=1 by default
    assert fault.hits == 1
    assert [m.text for m in api.state.bot_messages_in(chat)] == ["in the chat, never confirmed", "answered"]


async def test_hang_before_execute_sends_nothing(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    api.faults.inject_hang("sendMessage", after_execute=False, for_seconds=LONG_WINDOW)
    for _ in range(2):
        with pytest.raises(TimedOut):
            await bot.send_message(chat.id, "never", read_timeout=0.3)
    assert api.state.bot_messages_in(chat) == []


async def test_stop_releases_hung_requests() -> None:
    fake = FakeBotAPI()
    await fake.start()
    chat = fake.users.private_chat()
    fake.faults.inject_hang("sendMessage")
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        send = asyncio.create_task(bot.send_message(chat.id, "hung", read_timeout=None))
        await asyncio.wait_for(wait_for_text(fake, chat.id, "hung"), 10)
        await asyncio.wait_for(fake.stop(), 30)
        with pytest.raises(NetworkError):
            await asyncio.wait_for(send, 30)
    assert fake.calls.to("sendMessage")[0].description == "the method ran; no answer until the fake stopped"


# -- one of each kind ------------------------------------------------------------------------


async def test_fault_injection(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    api.faults.inject("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(RetryAfter, match=r"(?i)7"):
        await bot.send_message(chat.id, "x")
    api.faults.inject("sendMessage", error_code=502)
    with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
        await bot.send_message(chat.id, "x")
    api.faults.inject_disconnect("sendMessage", after_execute=True)
    with pytest.raises(NetworkError):
        await bot.send_message(chat.id, "sent but unanswered")
    api.faults.inject("sendMessage", error_code=403)
    with pytest.raises(Forbidden):
        await bot.send_message(chat.id, "x")
    api.faults.inject_delay("getMe", 0.05, count=1)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.05
    assert [m.text for m in api.state.bot_messages_in(chat)] == ["sent but unanswered"]
    assert [c.status for c in api.calls.to("sendMessage")] == [429, 502, 0, 403]


# -- 429 storms ----------------------------------------------------------------------------------


async def test_429_carries_retry_after_like_telegram_and_the_log_records_it(api: FakeBotAPI) -> None:
    chat = api.users.private_chat()
    api.faults.inject("sendMessage", error_code=429, retry_after=60, count=1)
    async with httpx.AsyncClient(base_url=api.base_url + api.token, timeout=5) as client:
        answer = await client.post("/sendMessage", json={"chat_id": chat.id, "text": "x"})
    assert answer.status_code == 429
    assert answer.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 60",
        "parameters": {"retry_after": 60},
    }
    record = api.calls.to("sendMessage")[0]
    assert (record.status, record.retry_after, record.chat_id) == (429, 60, chat.id)
    assert record.to_dict()["retry_after"] == 60


async def test_five_429s_in_a_row_then_success(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    api.faults.inject("sendVideo", error_code=429, retry_after=3, count=5)
    for _ in range(5):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_video(chat.id, mp4_bytes())
        assert "Retry in 3 seconds" in str(caught.value)
    await bot.send_video(chat.id, mp4_bytes())
    assert [c.status for c in api.calls.to("sendVideo")] == [429] * 5 + [200]
    assert len(api.state.videos_sent(chat)) == 1


async def test_429_window_is_counted_per_chat(api: FakeBotAPI, bot: Bot) -> None:
    alice, bob = api.users.private_chat(1001, "Alice"), api.users.private_chat(1002, "Bob")
    group = api.users.group(username="storm_group")
    api.faults.inject(ANY_METHOD, error_code=429, retry_after=7, for_seconds=LONG_WINDOW)
    for chat_id in (alice.id, alice.id, alice.id, bob.id, "@storm_group"):
        with pytest.raises(RetryAfter):
            await bot.send_message(chat_id, "x")
    with pytest.raises(RetryAfter):
        await bot.get_me()
    stats = api.calls.stats()
    assert stats.too_many_requests_by_chat == {alice.id: 3, bob.id: 1, group.id: 1, None: 1}
    assert {c.retry_after for c in api.calls if c.status == 429} == {7}
    assert stats.to_dict()["too_many_requests_by_chat"][str(alice.id)] == 3


# -- the control API -----------------------------------------------------------------------------


async def test_control_api_plans_every_kind_of_fault(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()

    async with httpx.AsyncClient(base_url=f"{api.root}/_control", timeout=10) as control:

        async def plan(**body: object) -> Any:
            answer = await control.post("/faults", json=body)
            assert answer.status_code == 200, answer.text
            return answer.json()["result"]

        window = await plan(kind="error", method="sendMessage", error_code=502, for_seconds=LONG_WINDOW)
        assert window["remaining"] is None and window["until"] is not None
        for _ in range(2):
            with pytest.raises(NetworkError, match="Bad Gateway"):
                await bot.send_message(chat.id, "x")
        await plan(kind="clear")
        await plan(kind="error", method="sendMessage", error_code=429, retry_after=9, count=2)
        for _ in range(2):
            with pytest.raises(RetryAfter, match="9"):
                await bot.send_message(chat.id, "x")
        await plan(kind="disconnect", method="sendMessage", after_execute=True)
        with pytest.raises(NetworkError):
            await bot.send_message(chat.id, "ran, answer dropped")
        await plan(kind="delay", method="sendMessage", seconds=30, after_execute=True, count=1)
        with pytest.raises(TimedOut):
            await bot.send_message(chat.id, "ran, answer late", read_timeout=0.3)
        await plan(kind="hang", method="sendMessage")
        with pytest.raises(TimedOut):
            await bot.send_message(chat.id, "ran, never answered", read_timeout=0.3)
        bad = await control.post("/faults", json={"kind": "meteor"})
        assert bad.status_code == 400
        assert (await plan(kind="down", seconds=0.5)) is True  # answered before going down
    with pytest.raises(NetworkError):
        await bot.get_me()
    await api.faults.wait_up(timeout=30)
    await bot.send_message(chat.id, "after the outage")
    assert [m.text for m in api.state.bot_messages_in(chat)] == [
        "ran, answer dropped",
        "ran, answer late",
        "ran, never answered",
        "after the outage",
    ]
    assert [c.status for c in api.calls.to("sendMessage")] == [502, 502, 429, 429, 0, 0, 0, 200]
