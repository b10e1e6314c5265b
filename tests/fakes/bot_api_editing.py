"""editMessageText, editMessageCaption, editMessageReplyMarkup and deleteMessage."""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.bot_api_calls import CallContext
from tests.fakes.bot_api_format import check_reply_markup, format_caption, format_text
from tests.fakes.bot_api_model import StoredMessage
from tests.fakes.bot_api_spec import bad_request
from tests.fakes.bot_api_state import BotState

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)


class MessageEditor:
    """The methods that change or remove existing messages."""

    def __init__(self, state: BotState) -> None:
        self._state = state

    def _target(self, params: dict[str, Any]) -> StoredMessage:
        if "inline_message_id" in params:
            raise bad_request("MESSAGE_ID_INVALID")
        if "chat_id" not in params:
            raise bad_request("chat_id is empty")
        if "message_id" not in params:
            raise bad_request("message identifier is not specified")
        chat = self._state.resolve_chat(params["chat_id"])
        message = self._state.live_message(chat.id, params["message_id"])
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _save(self, message: StoredMessage, **changes: Any) -> dict[str, Any]:
        for name, value in changes.items():
            setattr(message, name, value)
        message.edit_date = int(time.time())
        message.edit_count += 1
        return self._state.message_dict(message)

    async def edit_text(self, call: CallContext) -> dict[str, Any]:
        """editMessageText; leaving out reply_markup removes the inline keyboard, as on Telegram."""
        params = call.params
        message = self._target(params)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text, entities = format_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
        markup = check_reply_markup(params.get("reply_markup"))
        if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        return self._save(message, text=text, entities=entities, reply_markup=markup)

    async def edit_caption(self, call: CallContext) -> dict[str, Any]:
        """editMessageCaption."""
        params = call.params
        message = self._target(params)
        if message.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        caption, entities = format_caption(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        markup = check_reply_markup(params.get("reply_markup"))
        if (caption, entities, markup) == (message.caption, message.caption_entities, message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        return self._save(message, caption=caption, caption_entities=entities, reply_markup=markup)

    async def edit_reply_markup(self, call: CallContext) -> dict[str, Any]:
        """editMessageReplyMarkup."""
        message = self._target(call.params)
        markup = check_reply_markup(call.params.get("reply_markup"))
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        return self._save(message, reply_markup=markup)

    async def delete(self, call: CallContext) -> bool:
        """deleteMessage."""
        chat = self._state.resolve_chat(call.params["chat_id"])
        message = self._state.live_message(chat.id, call.params["message_id"])
        if message is None:
            raise bad_request("message to delete not found")
        message.deleted = True
        return True
