"""A small HTTP control API so another process (a benchmark) can drive the fake and read its log."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import tornado.web

from tests.fakes.bot_api_flood import FloodLimits
from tests.fakes.bot_api_http import write_json

if TYPE_CHECKING:
    from tests.fakes.bot_api import FakeBotAPI

Action = Callable[["FakeBotAPI", dict[str, Any]], Any]


def _body_list(body: Any) -> list[dict[str, Any]]:
    return body if isinstance(body, list) else [body]


def _updates(api: FakeBotAPI, body: Any) -> Any:
    return [api.push_update(update) for update in _body_list(body)]


def _chats(api: FakeBotAPI, body: dict[str, Any]) -> Any:
    if body.get("type", "private") == "private":
        chat = api.private_chat(
            user_id=int(body["user_id"]),
            first_name=body.get("first_name", "User"),
            language_code=body.get("language_code", "en"),
            username=body.get("username"),
        )
    else:
        chat = api.group(
            chat_id=int(body["chat_id"]),
            title=body.get("title", "Group"),
            forum=bool(body.get("forum", False)),
        )
    return chat.to_dict()


def _user(body: dict[str, Any]) -> int | None:
    return int(body["user_id"]) if body.get("user_id") is not None else None


def _send_text(api: FakeBotAPI, body: dict[str, Any]) -> Any:
    return api.send_text(
        int(body["chat_id"]),
        _user(body),
        body["text"],
        reply_to=body.get("reply_to"),
        thread_id=body.get("thread_id"),
    )


def _send_photo(api: FakeBotAPI, body: dict[str, Any]) -> Any:
    image = base64.b64decode(body["image_base64"])
    return api.send_photo(
        int(body["chat_id"]),
        _user(body),
        image,
        caption=body.get("caption"),
        media_group_id=body.get("media_group_id"),
        thread_id=body.get("thread_id"),
        reply_to=body.get("reply_to"),
    )


def _press_button(api: FakeBotAPI, body: dict[str, Any]) -> Any:
    return api.press_button(int(body["chat_id"]), _user(body), int(body["message_id"]), body["callback_data"])


def _flood(api: FakeBotAPI, body: dict[str, Any]) -> Any:
    api.set_flood_limits(FloodLimits(**body))
    return dataclasses.asdict(api.flood_limits)


def _faults(api: FakeBotAPI, body: dict[str, Any]) -> Any:
    kind = body.get("kind", "error")
    method = body.get("method", "*")
    count = body.get("count", 1)
    if kind == "error":
        api.inject(
            method,
            error_code=int(body.get("error_code", 429)),
            retry_after=body.get("retry_after", 1),
            count=count,
            description=body.get("description"),
        )
    elif kind == "disconnect":
        api.inject_disconnect(method, count=count, after_execute=bool(body.get("after_execute", False)))
    elif kind == "delay":
        api.inject_delay(method, float(body["seconds"]), count=count)
    elif kind == "clear":
        api.clear_faults()
    else:
        raise ValueError(f"unknown fault kind {kind!r}")
    return True


_POST_ACTIONS: dict[str, Action] = {
    "updates": _updates,
    "chats": _chats,
    "send_text": _send_text,
    "send_photo": _send_photo,
    "press_button": _press_button,
    "flood": _flood,
    "faults": _faults,
}


class ControlHandler(tornado.web.RequestHandler):
    """GET /_control/{health,calls,stats,messages}; POST /_control/{updates,chats,send_text,...}."""

    def initialize(self, api: FakeBotAPI) -> None:
        """Tornado passes the fake."""
        self.api = api

    def get(self, action: str) -> None:
        """Read the call log, stats or chat state."""
        if action == "health":
            write_json(self, 200, {"ok": True, "result": {"root": self.api.root}})
        elif action == "calls":
            start = int(self.get_query_argument("start", "0"))
            records = self.api.calls[start:]
            write_json(
                self,
                200,
                {
                    "ok": True,
                    "result": [record.to_dict() for record in records],
                    "next": start + len(records),
                },
            )
        elif action == "stats":
            write_json(self, 200, {"ok": True, "result": self.api.stats().to_dict()})
        elif action == "messages":
            chat_id = int(self.get_query_argument("chat_id"))
            messages = [self.api.state.message_dict(m) for m in self.api.messages(chat_id)]
            write_json(self, 200, {"ok": True, "result": messages})
        else:
            write_json(self, 404, {"ok": False, "description": f"unknown control endpoint {action}"})

    def post(self, action: str) -> None:
        """Inject updates, create chats, configure flood control or faults."""
        handler = _POST_ACTIONS.get(action)
        if handler is None:
            write_json(self, 404, {"ok": False, "description": f"unknown control endpoint {action}"})
            return
        try:
            body = json.loads(self.request.body or b"{}")
            result = handler(self.api, body)
        except (ValueError, KeyError, LookupError, TypeError) as err:
            write_json(self, 400, {"ok": False, "description": f"{type(err).__name__}: {err}"})
            return
        write_json(self, 200, {"ok": True, "result": result})
