"""The fake Bot API's HTTP side (server.py): routing, tokens, bodies, upload limits, downloads, 501s."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from telegram import Bot
from telegram.error import BadRequest, EndPointNotFound, InvalidToken, NetworkError

from tests.fakes.bot_api import DEFAULT_TOKEN, FakeBotAPI, FloodLimits
from tests.fakes.media import make_image, mp4_bytes

TOKEN = DEFAULT_TOKEN


async def test_unknown_method_is_404(api: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendMesage", api_kwargs={"chat_id": 1, "text": "x"})
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{api.base_url}{TOKEN}/sendMesage", data={"chat_id": "1"})
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


async def test_wrong_token_is_401(api: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("654321:WRONG-TOKEN", base_url=api.base_url):
            pass
    assert api.calls[-1].status == 401


async def test_json_and_form_bodies_are_accepted(api: FakeBotAPI) -> None:
    chat = api.users.private_chat()
    url = f"{api.base_url}{TOKEN}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    async with httpx.AsyncClient() as client:
        as_json = await client.post(url, json={"chat_id": chat.id, "text": "json", "reply_markup": markup})
        as_form = await client.post(
            url, data={"chat_id": str(chat.id), "text": "form", "reply_markup": json.dumps(markup)}
        )
        bad_int = await client.post(url, json={"chat_id": chat.id, "text": "x", "message_thread_id": True})
    assert as_json.json()["result"]["reply_markup"] == markup
    assert as_form.json()["result"]["text"] == "form"
    assert bad_int.status_code == 400 and bad_int.json()["ok"] is False


async def test_unimplemented_method_is_logged_not_faked(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    with pytest.raises(NetworkError, match=r"(?i)does not implement sendPoll"):
        await bot.send_poll(chat.id, "Q?", ["a", "b"])
    assert api.calls.stats().not_implemented == {"sendPoll": 1}


async def test_upload_limit_is_413(bot_factory: Any) -> None:
    async with (
        FakeBotAPI(TOKEN, flood=FloodLimits.off(), upload_limit=10_000) as api,
        bot_factory(api) as bot,
    ):
        chat = api.users.private_chat()
        with pytest.raises(NetworkError, match=r"(?i)Request Entity Too Large"):
            await bot.send_document(chat.id, b"\0" * 10_001, filename="big.bin")
        assert api.calls[-1].status == 413 and api.state.messages(chat) == []


async def test_get_file_download_round_trip(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat()
    data = mp4_bytes()
    sent = await bot.send_video(chat.id, data)
    assert sent.video is not None
    downloaded = await (await bot.get_file(sent.video.file_id)).download_as_bytearray()
    photo = make_image(width=400, height=300)
    message = api.users.send_photo(chat, None, photo, caption="/video make it move")
    largest = message["photo"][-1]
    received = await (await bot.get_file(largest["file_id"])).download_as_bytearray()

    assert bytes(downloaded) == data
    assert bytes(received) == photo
    assert [(p["width"], p["height"]) for p in message["photo"]] == [(90, 68), (320, 240), (400, 300)]
    assert message["caption_entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("missing")
