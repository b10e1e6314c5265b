"""The request pipeline: token, size, spec, faults, flood control, method, call log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.fakes.bot_api_calls import DISCONNECTED, CallContext, CallLog
from tests.fakes.bot_api_faults import FaultPlan
from tests.fakes.bot_api_flood import FloodControl
from tests.fakes.bot_api_methods import MethodTable
from tests.fakes.bot_api_spec import ApiError, BotApiSpec, Upload
from tests.fakes.bot_api_state import BotState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """What to send back: a status and JSON body, or nothing at all (drop the connection)."""

    status: int
    body: dict[str, Any] | None

    @classmethod
    def error(cls, err: ApiError) -> Answer:
        """An error answer."""
        return cls(err.error_code, err.payload())

    @classmethod
    def dropped(cls) -> Answer:
        """Close the connection without answering."""
        return cls(DISCONNECTED, None)


class ApiCore:
    """Runs one Bot API request through every check, the way the real server would answer it."""

    def __init__(
        self,
        *,
        token: str,
        spec: BotApiSpec,
        state: BotState,
        methods: MethodTable,
        flood: FloodControl,
        faults: FaultPlan,
        calls: CallLog,
        upload_limit: int,
    ) -> None:
        self.token = token
        self.spec = spec
        self.state = state
        self.methods = methods
        self.flood = flood
        self.faults = faults
        self.calls = calls
        self.upload_limit = upload_limit
        self.closing = asyncio.Event()  # set when the fake stops: releases hung and delayed requests

    async def handle(
        self,
        token: str,
        method_name: str,
        params: dict[str, Any],
        uploads: Mapping[str, Upload],
        gone: asyncio.Event,
    ) -> Answer:
        """Answer one request."""
        files = tuple(uploads.values())
        if token != self.token or self.state.logged_out:
            return self._fail(method_name, params, files, ApiError(401, "Unauthorized"))
        if sum(len(upload.data) for upload in files) > self.upload_limit:
            return self._fail(method_name, params, files, ApiError(413, "Request Entity Too Large"))
        method = self.spec.canonical_method(method_name)
        if method is None:
            return self._fail(method_name, params, files, ApiError(404, "Not Found: method not found"))
        try:
            decoded = self.spec.decode_call(method, params, uploads)
        except ApiError as err:
            return self._fail(method, params, files, err)
        return await self._run(method, decoded, uploads, gone)

    async def _run(
        self, method: str, params: dict[str, Any], uploads: Mapping[str, Upload], gone: asyncio.Event
    ) -> Answer:
        files = tuple(uploads.values())
        if not await self._delay(method, gone, after_execute=False):
            return self._lost(method, params, files, None, "the client gave up while the answer was delayed")
        if self.faults.take(method, "hang") is not None:
            return await self._hang(method, params, files, gone, "no answer")
        if self.faults.take(method, "disconnect") is not None:
            return self._lost(method, params, files, None, "connection dropped")
        fault = self.faults.take(method, "error")
        if fault is not None and fault.error is not None:
            return self._fail(method, params, files, fault.error)
        retry_after = self.flood.take(method, self._flood_chat(params), _cost(method, params))
        if retry_after is not None:
            err = ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
            return self._fail(method, params, files, err)
        implementation = self.methods.get(method)
        if implementation is None:
            err = ApiError(501, f"Not Implemented: the fake Bot API does not implement {method}")
            logger.warning("unimplemented Bot API method called: %s", method)
            return self._fail(method, params, files, err)
        try:
            result = await implementation(CallContext(method, params, uploads, gone))
        except ApiError as err:
            return self._fail(method, params, files, err)
        if not await self._delay(method, gone, after_execute=True):
            description = "the method ran; the client gave up before the late answer"
            return self._lost(method, params, files, result, description)
        if self.faults.take(method, "hang", after_execute=True) is not None:
            return await self._hang(method, params, files, gone, "the method ran; no answer", result)
        if self.faults.take(method, "disconnect", after_execute=True) is not None:
            return self._lost(method, params, files, result, "connection dropped after the method ran")
        self.calls.add(method, params, 200, result=result, uploads=files, chat_id=self._flood_chat(params))
        return Answer(200, {"ok": True, "result": result})

    async def _delay(self, method: str, gone: asyncio.Event, *, after_execute: bool) -> bool:
        """Wait out the planned delays; False when the client hung up or the fake stopped meanwhile."""
        delays = self.faults.take_all(method, "delay", after_execute=after_execute)
        seconds = sum(fault.seconds for fault in delays)
        if seconds <= 0:
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._released(gone), seconds)
        return not (gone.is_set() or self.closing.is_set())

    async def _hang(
        self,
        method: str,
        params: dict[str, Any],
        files: tuple[Upload, ...],
        gone: asyncio.Event,
        what: str,
        result: Any = None,
    ) -> Answer:
        """Never answer: hold the connection until the client gives up or the fake stops."""
        await self._released(gone)
        who = "the client gave up" if gone.is_set() else "the fake stopped"
        return self._lost(method, params, files, result, f"{what} until {who}")

    async def _released(self, gone: asyncio.Event) -> None:
        """Return when the client hangs up or the fake stops."""
        waiters = [asyncio.ensure_future(gone.wait()), asyncio.ensure_future(self.closing.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    def _lost(
        self, method: str, params: dict[str, Any], files: tuple[Upload, ...], result: Any, description: str
    ) -> Answer:
        self.calls.add(
            method,
            params,
            DISCONNECTED,
            result=result,
            description=description,
            uploads=files,
            chat_id=self._flood_chat(params),
        )
        return Answer.dropped()

    def _fail(self, method: str, params: dict[str, Any], files: tuple[Upload, ...], err: ApiError) -> Answer:
        self.calls.add(
            method,
            params,
            err.error_code,
            description=err.description,
            uploads=files,
            retry_after=err.retry_after,
            chat_id=self._flood_chat(params),
        )
        return Answer.error(err)

    def _flood_chat(self, params: dict[str, Any]) -> int | None:
        """The chat a call concerns (chat_id, @username resolved), for flood control and the call log."""
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int):
            return chat_id
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            return next(
                (
                    chat.id
                    for chat in self.state.chats.values()
                    if chat.username and chat.username.lower() == name
                ),
                None,
            )
        return None


def _cost(method: str, params: dict[str, Any]) -> int:
    """A media group is one message per item."""
    media = params.get("media")
    if method == "sendMediaGroup" and isinstance(media, list):
        return max(1, len(media))
    return 1
