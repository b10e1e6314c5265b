"""Tornado handlers for /bot<token>/<method> and /file/bot<token>/<file_path>."""

from __future__ import annotations

import asyncio
import json
import mimetypes
from typing import Any

import tornado.web

from tests.fakes.bot_api_core import ApiCore
from tests.fakes.bot_api_spec import ApiError, Upload, bad_request


def write_json(handler: tornado.web.RequestHandler, status: int, body: Any) -> asyncio.Future[None]:
    """Send a JSON answer with a status; the future resolves once it has been written out."""
    handler.set_status(status)
    handler.set_header("Content-Type", "application/json")
    return handler.finish(json.dumps(body, ensure_ascii=False))


class BotApiHandler(tornado.web.RequestHandler):
    """One Bot API method call over GET or POST (JSON, urlencoded or multipart body)."""

    def initialize(self, core: ApiCore) -> None:
        """Tornado passes the shared core."""
        self.core = core
        self.gone = asyncio.Event()

    def on_connection_close(self) -> None:
        """The client hung up (ends a long poll early)."""
        self.gone.set()

    async def get(self, token: str, method: str) -> None:
        """GET with query parameters."""
        await self._serve(token, method)

    async def post(self, token: str, method: str) -> None:
        """POST with any body Telegram accepts."""
        await self._serve(token, method)

    async def _serve(self, token: str, method: str) -> None:
        try:
            params, uploads = self._read_request()
        except ApiError as err:
            write_json(self, err.error_code, err.payload())
            return
        answer = await self.core.handle(token, method, params, uploads, self.gone)
        if answer.body is None:
            self.detach().close()
            return
        if self.gone.is_set():
            return  # nobody to answer; tornado finishes the request quietly
        write_json(self, answer.status, answer.body)

    def _read_request(self) -> tuple[dict[str, Any], dict[str, Upload]]:
        params: dict[str, Any] = {key: self.get_query_argument(key) for key in self.request.query_arguments}
        content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "application/json" and self.request.body:
            try:
                body = json.loads(self.request.body)
            except ValueError as err:
                raise bad_request("can't parse JSON encoded request body") from err
            if not isinstance(body, dict):
                raise bad_request("request body must be a JSON object")
            params.update(body)
        else:
            for key, values in self.request.body_arguments.items():
                try:
                    params[key] = values[-1].decode("utf-8")
                except UnicodeDecodeError as err:
                    raise bad_request(f'parameter "{key}" is not valid UTF-8') from err
        uploads = {
            name: Upload(name=name, filename=part.filename, content_type=part.content_type, data=part.body)
            for name, parts in self.request.files.items()
            for part in parts[-1:]
        }
        return params, uploads


class FileDownloadHandler(tornado.web.RequestHandler):
    """GET /file/bot<token>/<file_path>: the bytes of a stored file."""

    def initialize(self, core: ApiCore) -> None:
        """Tornado passes the shared core."""
        self.core = core

    def get(self, token: str, file_path: str) -> None:
        """Serve the file or a Telegram-style 404."""
        if token != self.core.token:
            write_json(self, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        stored = self.core.state.file_by_path(file_path)
        if stored is None:
            write_json(self, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        guessed = stored.mime_type or mimetypes.guess_type(file_path)[0] or "application/octet-stream"
        self.set_header("Content-Type", guessed)
        self.finish(stored.data)
