"""Typed views of what the fake Bot API's control API answers (calls and chat messages)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MessageKey = tuple[int, int]  # (chat_id, message_id) of a user's message


class ApiCall(BaseModel):
    """One Bot API request the fake answered, as GET /_control/calls lists it."""

    model_config = ConfigDict(extra="ignore")

    index: int
    method: str
    params: dict[str, Any] = Field(default_factory=dict)
    time: float  # time.monotonic() of the fake's process when it answered
    status: int
    description: str | None = None

    @property
    def ok(self) -> bool:
        """True when the fake answered 200."""
        return self.status == 200

    @property
    def chat_id(self) -> int | None:
        """The chat the call addressed, when it names one by id."""
        value = self.params.get("chat_id")
        return value if isinstance(value, int) else None

    @property
    def replied_message_id(self) -> int | None:
        """The message this call quotes through reply_parameters (or reply_to_message_id)."""
        reply = self.params.get("reply_parameters")
        if isinstance(reply, str):
            try:
                reply = json.loads(reply)
            except ValueError:
                reply = None
        if isinstance(reply, dict) and isinstance(reply.get("message_id"), int):
            return int(reply["message_id"])
        legacy = self.params.get("reply_to_message_id")
        return legacy if isinstance(legacy, int) else None

    def replies_to(self) -> MessageKey | None:
        """The (chat_id, message_id) this call answers, if any."""
        chat_id, message_id = self.chat_id, self.replied_message_id
        return None if chat_id is None or message_id is None else (chat_id, message_id)


class Sender(BaseModel):
    """The `from` of a message."""

    model_config = ConfigDict(extra="ignore")

    id: int
    is_bot: bool = False


class QuotedMessage(BaseModel):
    """The message a reply quotes (only its id matters here)."""

    model_config = ConfigDict(extra="ignore")

    message_id: int


class ChatMessage(BaseModel):
    """One message of a chat as GET /_control/messages lists it."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    message_id: int
    sender: Sender | None = Field(default=None, alias="from")
    video: dict[str, Any] | None = None
    reply_to_message: QuotedMessage | None = None

    @property
    def is_bot_video(self) -> bool:
        """A video the bot sent."""
        return self.video is not None and self.sender is not None and self.sender.is_bot
