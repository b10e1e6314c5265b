"""A small HTTP control API so another process (a benchmark) can drive the fake and read its log.

POST /_control/faults takes {"kind": ..., "method": "*" or a method, ...}:
- error: error_code (429), retry_after (1), description, count, for_seconds;
- disconnect: count, for_seconds, after_execute (false);
- delay: seconds, count (every call when absent), for_seconds, after_execute (false);
- hang: count, for_seconds, after_execute (true);
- down: seconds (required; the control API is down too), answered before the fake goes down;
- clear: forget every planned fault.
count absent means the default (1 call, or every call of the for_seconds window); null means every call.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import tornado.web

from tests.fakes.bot_api_faults import ANY_METHOD, UNSET, Count
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


@dataclass(frozen=True)
class AfterAnswer:
    """An action's result, and what to do once it has been sent (going down would cut the answer)."""

    result: Any
    then: Callable[[], Awaitable[None]]


def _count(body: dict[str, Any]) -> Count:
    """Absent: the fault's default; null: every call."""
    return UNSET if "count" not in body else (None if body["count"] is None else int(body["count"]))


def _for_seconds(body: dict[str, Any]) -> float | None:
    return None if body.get("for_seconds") is None else float(body["for_seconds"])


def _faults(api: FakeBotAPI, body: dict[str, Any]) -> Any:
    kind = body.get("kind", "error")
    method = body.get("method", ANY_METHOD)
    after_execute = body.get("after_execute")
    if kind == "down":
        seconds = float(body["seconds"])  # required: the control API is unreachable too while down
        return AfterAnswer(True, lambda: api.go_down(seconds))
    if kind == "clear":
        api.clear_faults()
        return True
    if kind == "error":
        fault = api.inject(
            method,
            error_code=int(body.get("error_code", 429)),
            retry_after=body.get("retry_after", 1),
            count=_count(body),
            for_seconds=_for_seconds(body),
            description=body.get("description"),
        )
    elif kind == "disconnect":
        fault = api.inject_disconnect(
            method, count=_count(body), for_seconds=_for_seconds(body), after_execute=bool(after_execute)
        )
    elif kind == "delay":
        count = _count(body)
        fault = api.inject_delay(
            method,
            float(body["seconds"]),
            count=None if count is UNSET else count,
            for_seconds=_for_seconds(body),
            after_execute=bool(after_execute),
        )
    elif kind == "hang":
        fault = api.inject_hang(
            method,
            count=_count(body),
            for_seconds=_for_seconds(body),
            after_execute=True if after_execute is None else bool(after_execute),
        )
    else:
        raise ValueError(f"unknown fault kind {kind!r}")
    return {"kind": fault.kind, "method": fault.method, "remaining": fault.remaining, "until": fault.until}


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

    async def post(self, action: str) -> None:
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
        if isinstance(result, AfterAnswer):
            await write_json(self, 200, {"ok": True, "result": result.result})
            await result.then()
            return
        write_json(self, 200, {"ok": True, "result": result})
