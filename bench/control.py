"""Client of the fake Bot API's control API: create chats, write as users, read calls and chat state."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import httpx
from pydantic import BaseModel, ConfigDict

from bench.wire import ApiCall, ChatMessage

CONTROL_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class ControlError(Exception):
    """The control API refused a request."""


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ok: bool
    result: Any = None
    description: str | None = None
    next: int | None = None


class SentMessage(BaseModel):
    """The user message the fake created (only what the benchmark needs)."""

    model_config = ConfigDict(extra="ignore")

    message_id: int


class BotApiControl:
    """Talks to http://127.0.0.1:PORT/_control/... of a fake Bot API process."""

    def __init__(self, root: str) -> None:
        self._client = httpx.AsyncClient(base_url=f"{root}/_control", timeout=CONTROL_TIMEOUT)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._client.aclose()

    async def _post(self, action: str, body: dict[str, Any]) -> Any:
        response = await self._client.post(f"/{action}", json=body)
        return self._unwrap(action, response).result

    async def _get(self, action: str, **query: str | int) -> _Envelope:
        response = await self._client.get(f"/{action}", params=query)
        return self._unwrap(action, response)

    @staticmethod
    def _unwrap(action: str, response: httpx.Response) -> _Envelope:
        try:
            envelope = _Envelope.model_validate_json(response.content)
        except ValueError as err:
            raise ControlError(f"{action}: HTTP {response.status_code}, not a control answer") from err
        if not envelope.ok:
            raise ControlError(f"{action}: {envelope.description}")
        return envelope

    async def add_user(self, user_id: int, first_name: str) -> None:
        """Make a user known (through their private chat with the bot, which the benchmark never uses)."""
        await self._post("chats", {"type": "private", "user_id": user_id, "first_name": first_name})

    async def add_group(self, chat_id: int, title: str) -> None:
        """Create a group (ids starting with -100 are supergroups)."""
        await self._post("chats", {"type": "supergroup", "chat_id": chat_id, "title": title})

    async def send_text(self, chat_id: int, user_id: int, text: str) -> SentMessage:
        """A user writes into a chat; the fake queues the update if the bot may see it."""
        result = await self._post("send_text", {"chat_id": chat_id, "user_id": user_id, "text": text})
        return SentMessage.model_validate(result)

    async def calls(self, start: int = 0) -> tuple[list[ApiCall], int]:
        """Calls answered from index `start` on, and the index to ask from next time."""
        envelope = await self._get("calls", start=start)
        calls = [ApiCall.model_validate(item) for item in envelope.result or []]
        return calls, envelope.next if envelope.next is not None else start + len(calls)

    async def messages(self, chat_id: int) -> list[ChatMessage]:
        """The chat's current messages, oldest first."""
        envelope = await self._get("messages", chat_id=chat_id)
        return [ChatMessage.model_validate(item) for item in envelope.result or []]
