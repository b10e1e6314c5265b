"""The fake gateway itself answers the way the documentation says (raw HTTP, no client)."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.gateway import FakeGateway, ManualClock
from tests.fakes.media import make_image
from tests.gateway.conftest import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}
JPEG = make_image()
OFFICIAL = "veo-3.1-fast-generate-preview"


@pytest.fixture
async def http(gateway: FakeGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=AUTH) as client:
        yield client


def error_of(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def image_part(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def chat(model: str, content: Any = "a cat", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], "stream": True, **extra}


async def test_missing_and_wrong_keys_get_401(gateway: FakeGateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        missing = await client.get("/videos/video_x")
        wrong = await client.get("/videos/video_x", headers={"Authorization": "Bearer sk-nope"})
    for response in (missing, wrong):
        assert response.status_code == 401
        assert error_of(response)["code"] == "invalid_api_key"
        assert error_of(response)["type"] == "authentication_error"


DATA_URL = "data:image/jpeg;base64," + base64.b64encode(JPEG).decode()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (chat("veo-4"), "Model not found"),
        (chat("veo-3.1-fl"), "requires 1 or 2 images"),
        (chat("veo-3.1", [{"type": "text", "text": "x"}, image_part(DATA_URL)]), "does not accept images"),
        (chat("veo-3.1-fl", [{"type": "text", "text": "x"}, *[image_part(DATA_URL)] * 3]), "at most 2"),
        (
            chat("veo-3.1-fl", [{"type": "text", "text": "x"}, image_part("https://t.me/file/bot1:x/a.jpg")]),
            "remote URLs are not accepted",
        ),
        (chat("veo-3.1-fast", n=5), "n must be"),
        (chat("veo-3.1-fast", n=0), "n must be"),
        (chat(OFFICIAL), "only available through POST /v1/videos"),
    ],
)
async def test_chat_validation_errors(http: httpx.AsyncClient, payload: dict[str, Any], message: str) -> None:
    response = await http.post("/chat/completions", json=payload)
    assert response.status_code == 400
    assert message in error_of(response)["message"]


async def test_stream_wire_format_matches_the_docs(http: httpx.AsyncClient) -> None:
    async with http.stream("POST", "/chat/completions", json=chat("veo-3.1-fast")) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join([piece async for piece in response.aiter_text()])
    assert text.startswith(": keep-alive\n\n")
    assert '"delta": {"content": "> 🏃 Progress: ' in text
    assert "> ✅ Video 1 complete, [click here](http://" in text
    assert text.endswith("data: [DONE]\n\n")


@pytest.mark.parametrize(
    ("payload", "status", "fragment"),
    [
        (
            {"model": OFFICIAL, "prompt": "x", "duration": 8},
            400,
            "cannot unmarshal number into Go struct field VideoRequest.duration of type string",
        ),
        ({"model": OFFICIAL, "prompt": "x", "duration": "5"}, 400, "duration must be"),
        (
            {"model": OFFICIAL, "prompt": "x", "duration": "4", "metadata": {"resolution": "1080p"}},
            400,
            'requires duration "8"',
        ),
        (
            {"model": OFFICIAL, "prompt": "x", "size": "3840x2160", "duration": "6"},
            400,
            'requires duration "8"',
        ),
        ({"model": OFFICIAL, "prompt": "x", "generateAudio": True}, 400, "INVALID_ARGUMENT"),
        ({"model": OFFICIAL, "prompt": "x", "metadata": {"generateAudio": False}}, 400, "INVALID_ARGUMENT"),
        ({"model": "veo-3.1-fl", "prompt": "x"}, 400, "requires multipart/form-data"),
        ({"model": "sora-2", "prompt": "x"}, 400, "Model not found"),
        ({"model": "veo-3.1", "prompt": ""}, 400, "prompt is required"),
    ],
)
async def test_create_json_validation(
    http: httpx.AsyncClient, payload: dict[str, Any], status: int, fragment: str
) -> None:
    response = await http.post("/videos", json=payload)
    assert response.status_code == status
    assert fragment in error_of(response)["message"]


async def test_official_json_duration_is_honoured_and_ids_match(
    http: httpx.AsyncClient, gateway: FakeGateway
) -> None:
    response = await http.post(
        "/videos",
        json={"model": OFFICIAL, "prompt": "x", "duration": "6", "metadata": {"aspectRatio": "9:16"}},
    )
    document = response.json()
    assert document["id"] == document["task_id"]
    assert (document["status"], document["progress"]) == ("queued", 0)
    task = gateway.tasks[document["task_id"]]
    assert (task.seconds, task.width, task.height) == (6, 72, 128)


async def test_official_multipart_ignores_duration_and_keeps_the_first_image(
    http: httpx.AsyncClient, gateway: FakeGateway
) -> None:
    files = [
        ("input_reference", ("a.png", make_image(fmt="PNG"), "image/png")),
        ("input_reference", ("b.jpg", JPEG, "image/jpeg")),
    ]
    response = await http.post(
        "/videos", data={"model": OFFICIAL, "prompt": "x", "duration": "8"}, files=files
    )
    assert response.status_code == 200
    assert gateway.tasks[response.json()["task_id"]].seconds == 4  # the documented fallback
    explicit = await http.post(
        "/videos", data={"model": OFFICIAL, "prompt": "x", "seconds": "8"}, files=files[:1]
    )
    assert gateway.tasks[explicit.json()["task_id"]].seconds == 8


async def test_reverse_multipart_rules(http: httpx.AsyncClient) -> None:
    image = ("input_reference", ("a.jpg", JPEG, "image/jpeg"))
    three = await http.post("/videos", data={"model": "veo-3.1-fl", "prompt": "x"}, files=[image] * 3)
    assert three.status_code == 400
    assert "1 or 2" in error_of(three)["message"]
    text_model = await http.post("/videos", data={"model": "veo-3.1", "prompt": "x"}, files=[image])
    assert text_model.status_code == 400
    ok = await http.post("/videos", data={"model": "veo-3.1-fl", "prompt": "x"}, files=[image] * 2)
    assert ok.status_code == 200
    assert set(ok.json()) == {"id", "object", "created", "status", "model"}


async def test_unknown_ids_are_video_not_found(http: httpx.AsyncClient) -> None:
    for path in ("/videos/video_nope", "/videos/task_nope/content"):
        response = await http.get(path)
        assert response.status_code == 404
        assert error_of(response)["code"] == "video_not_found"


async def test_status_shapes_of_both_channels(
    http: httpx.AsyncClient, gateway: FakeGateway, clock: ManualClock
) -> None:
    gateway.generation_seconds = 10
    official = (await http.post("/videos", json={"model": OFFICIAL, "prompt": "x"})).json()["task_id"]
    reverse = (await http.post("/videos", json={"model": "veo-3.1", "prompt": "x"})).json()["id"]
    early = await http.get(f"/videos/{official}/content")
    assert error_of(early)["code"] == "video_not_ready"
    clock.advance(5)
    middle = (await http.get(f"/videos/{official}")).json()
    assert (middle["status"], middle["progress"]) == ("in_progress", 50)
    assert (await http.get(f"/videos/{reverse}")).json()["progress"] == "50%"
    clock.advance(5)
    done = (await http.get(f"/videos/{official}")).json()
    assert (done["status"], done["progress"]) == ("completed", 100)
    assert "completed_at" in done
    content = await http.get(f"/videos/{reverse}/content")
    assert set(content.json()) >= {"url", "duration", "resolution"}
    assert content.json()["resolution"] == "720x1280"


async def test_process_mode_prints_its_url_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.gateway",
        "--port",
        "0",
        "--generation-seconds",
        "0.05",
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=10)
        base_url = line.decode().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": "sk-test-key"}) as client:
            response = await client.post("/videos", json={"model": "veo-3.1-fast", "prompt": "x"})
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=10)
    assert code == 0


async def test_injected_faults_match_path_and_method_and_run_out(
    http: httpx.AsyncClient, gateway: FakeGateway
) -> None:
    gateway.inject("503", count=2, path_prefix="/v1/videos/", method="GET")
    created = await http.post("/videos", json={"model": "veo-3.1", "prompt": "x"})
    assert created.status_code == 200
    statuses = [(await http.get(f"/videos/{created.json()['id']}")).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    with pytest.raises(ValueError, match="unknown fault"):
        gateway.inject("teapot")
