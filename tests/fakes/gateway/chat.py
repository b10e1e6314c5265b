"""POST /v1/chat/completions: the Reverse sync stream."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
import uuid
from typing import Any

import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web

from tests.fakes.gateway.handlers import _BaseHandler
from tests.fakes.gateway.models import DOC_MODELS, DocModel
from tests.fakes.gateway.tasks import (
    _DATA_URL,
    FILE_FAULTS,
    LONG_LINE_BYTES,
    STREAM_FAULTS,
    STYLE_MARKERS,
    RecordedFile,
    _dimensions,
    _reason,
    _Refused,
    _ServedFile,
)


class _ChatHandler(_BaseHandler):
    """POST /v1/chat/completions: the Reverse sync stream."""

    async def post(self) -> None:
        try:
            spec, prompt, n, stream = self._validate()
        except _Refused as error:
            self.refuse(error)
            return
        if self.submit_faults(prompt):
            return
        method, path = "POST", self.request.path
        outcome = self.gw._outcome(prompt, method, path)
        injected = self.gw._take_fault(STREAM_FAULTS, method, path)
        behaviour = (
            injected.name if injected else next(iter(sorted(self.gw._markers(prompt, STREAM_FAULTS))), None)
        )
        styles = self.gw._markers(prompt, STYLE_MARKERS)
        file_faults = frozenset(self.gw._markers(prompt, FILE_FAULTS))
        injected_file = self.gw._take_fault(FILE_FAULTS, method, path)
        if injected_file is not None:
            file_faults |= {injected_file.name}
        generation = self.gw._generation_time(prompt, method, path)
        self.gw.stats.created += 1
        chat = _ChatStream(self, spec, n, styles)
        if not stream or "json" in styles:
            await self._answer_whole(chat, outcome, behaviour, generation, file_faults)
            return
        self.gw.stats.streams_open += 1
        self.gw.stats.max_streams_open = max(self.gw.stats.max_streams_open, self.gw.stats.streams_open)
        try:
            finished = await chat.run(outcome, behaviour, generation, file_faults)
        except tornado.iostream.StreamClosedError:
            finished = False
        finally:
            self.gw.stats.streams_open -= 1
        if not finished:
            self.abandon()

    def _validate(self) -> tuple[DocModel, str, int, bool]:
        body = self.json_body
        if not isinstance(body, dict):
            raise _Refused(400, "Request body must be a JSON object", "invalid_request")
        model = body.get("model")
        spec = DOC_MODELS.get(model) if isinstance(model, str) else None
        if spec is None:
            raise _Refused(400, f"Model not found: {model}", "invalid_model")
        if spec.channel == "official":
            raise _Refused(400, f"{spec.id} is only available through POST /v1/videos", "invalid_model")
        n = body.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 4:
            raise _Refused(400, "n must be an integer between 1 and 4", "invalid_request")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
            raise _Refused(400, "messages must be a non-empty list", "invalid_request")
        prompt, images = self._content(messages[-1].get("content"))
        if not prompt.strip():
            raise _Refused(400, "prompt must not be empty", "invalid_prompt")
        if spec.frame_to_video and not images:
            raise _Refused(400, f"{spec.id} requires 1 or 2 images (frame-to-video)", "invalid_request")
        if images and not spec.frame_to_video:
            raise _Refused(400, f"{spec.id} does not accept images; use a -fl model", "invalid_request")
        if len(images) > 2:
            raise _Refused(400, "at most 2 images (start and end frame) are supported", "invalid_request")
        return spec, prompt, n, body.get("stream") is True

    def _content(self, content: object) -> tuple[str, list[RecordedFile]]:
        if isinstance(content, str):
            return content, []
        if not isinstance(content, list):
            raise _Refused(400, "message content must be a string or a list of parts", "invalid_request")
        texts: list[str] = []
        images: list[RecordedFile] = []
        for part in content:
            if not isinstance(part, dict):
                raise _Refused(400, "content parts must be objects", "invalid_request")
            if part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            elif part.get("type") == "image_url":
                image_url = part.get("image_url")
                url = image_url.get("url") if isinstance(image_url, dict) else image_url
                match = _DATA_URL.match(url) if isinstance(url, str) else None
                if match is None:
                    raise _Refused(400, "image_url must be a base64 data: URL (remote URLs are not accepted)")
                if match.group(1) not in ("image/jpeg", "image/png"):
                    raise _Refused(400, f"unsupported image type {match.group(1)}", "invalid_request")
                try:
                    data = base64.b64decode(match.group(2), validate=True)
                except (binascii.Error, ValueError):
                    raise _Refused(400, "image_url holds invalid base64", "invalid_request") from None
                images.append(RecordedFile("image_url", "", match.group(1), len(data)))
            else:
                raise _Refused(400, f"unsupported content part type {part.get('type')!r}", "invalid_request")
        if self.record is not None:
            self.record.files.extend(images)
        return "\n".join(texts), images

    async def _answer_whole(
        self,
        chat: _ChatStream,
        outcome: str | None,
        behaviour: str | None,
        generation: float,
        file_faults: frozenset[str],
    ) -> None:
        """stream=false: wait for the whole generation, answer one chat.completion."""
        if not await self.pause(generation):
            self.abandon()
            return
        if outcome is not None:
            text = f"> ❌ Video generation failed: {_reason(outcome)}\n\n"
            self.gw.stats.failed += 1
        elif behaviour == "nourl":
            text = ""
        else:
            text = "".join(await chat.video_lines(file_faults))
            self.gw.stats.completed += 1
        self.send_json(
            200,
            {
                "id": chat.chat_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": chat.spec.id,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
            },
        )


class _ChatStream:
    """Writes one SSE chat-completion stream in the documented format."""

    def __init__(self, handler: _ChatHandler, spec: DocModel, n: int, styles: set[str]) -> None:
        self.handler = handler
        self.gw = handler.gw
        self.spec = spec
        self.n = n
        self.styles = styles
        self.chat_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"

    def _event(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        chunk = {
            "id": self.chat_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.spec.id,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()

    async def _send(self, data: bytes) -> None:
        if "split" in self.styles and len(data) > 8:
            # Byte-level split that lands inside JSON (and often inside a multi-byte character).
            middle = len(data) // 2 + 1
            for piece in (data[:middle], data[middle:]):
                self.handler.write(piece)
                await self.handler.flush()
                await asyncio.sleep(0.001)
            return
        self.handler.write(data)
        await self.handler.flush()

    async def text(self, text: str) -> None:
        """Send text the way the configured style does."""
        field_name = "reasoning_content" if "reasoning" in self.styles else "content"
        pieces = [text[: len(text) // 2], text[len(text) // 2 :]] if "split" in self.styles else [text]
        for piece in pieces:
            await self._send(self._event({field_name: piece}))

    async def video_lines(self, file_faults: frozenset[str]) -> list[str]:
        """Make the n result files and the lines announcing them."""
        assert self.spec.orientation is not None
        width, height = _dimensions(self.spec.orientation)
        await self.gw.prepare_video(width=width, height=height, seconds=8)
        lines = []
        for index in range(1, self.n + 1):
            url = self.gw._register_file(
                f"{self.chat_id}-{index}.mp4", _ServedFile(width, height, 8, file_faults)
            )
            if "videotag" in self.styles:
                lines.append(f"> ✅ Video {index} complete <video src='{url}' controls></video>\n\n")
            else:
                lines.append(f"> ✅ Video {index} complete, [click here]({url}) to view~~~\n\n")
        return lines

    async def run(
        self, outcome: str | None, behaviour: str | None, generation: float, file_faults: frozenset[str]
    ) -> bool:
        """Progress over `generation` seconds, then the videos (or the fault), then [DONE]; False if cut."""
        handler = self.handler
        handler.set_header("Content-Type", "text/event-stream; charset=utf-8")
        handler.set_header("Cache-Control", "no-cache")
        handler.set_header("X-Request-Id", uuid.uuid4().hex)
        if handler.record is not None:
            handler.record.status = 200
        handler.write(b": keep-alive\n\n")
        await self._send(self._event({"role": "assistant", "content": ""}))
        await self.text("> 🕐 Queued, waiting for a free slot...\n\n")
        steps = max(1, self.gw.progress_steps)
        for step in range(1, steps + 1):
            if not await handler.pause(generation / (steps + 1)):
                return False
            percent = 100.0 * step / (steps + 1)
            await self.text(f"> 🏃 Progress: {percent:.1f}%\n\n")
            if behaviour == "stall":
                await handler.pause(3600)
                return False
            if step == steps // 2 + 1:
                if behaviour == "cut":
                    return False
                if behaviour == "longline":
                    await self._long_line()
                    return False
                if outcome is not None:
                    await self.text(f"> ❌ Video generation failed: {_reason(outcome)}\n\n")
                    self.gw.stats.failed += 1
                    await self._finish()
                    return True
        if not await handler.pause(generation / (steps + 1)):
            return False
        if behaviour != "nourl":
            for line in await self.video_lines(file_faults):
                await self.text(line)
            self.gw.stats.completed += 1
        await self._finish()
        return True

    async def _long_line(self) -> None:
        """A line that never ends, written in 64 KB pieces as a runaway upstream would."""
        await self._send(b"data: ")
        piece = b"x" * (64 * 1024)
        for _ in range(LONG_LINE_BYTES // len(piece)):
            await self._send(piece)

    async def _finish(self) -> None:
        await self._send(self._event({}, finish_reason="stop"))
        await self._send(b"data: [DONE]\n\n")
        self.handler.finish()
