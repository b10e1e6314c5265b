"""How a job's request is stored in the ledger: JSON without the images (they have their own table)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.gateway.request import ImageInput, VideoRequest


def dump_request(request: VideoRequest, *, segments: int = 1) -> str:
    """The request as JSON, images left out; `segments` > 1 marks a chained (extended) video."""
    data = request.model_dump(mode="json", exclude={"images"})
    if segments > 1:
        data["segments"] = segments
    return json.dumps(data)


def segments_of(request_json: str) -> int:
    """How many chained clips the stored request makes (1 for an ordinary request)."""
    return int(json.loads(request_json).get("segments", 1))


def restore_request(request_json: str, images: Sequence[tuple[str, bytes]]) -> VideoRequest:
    """Rebuild a request from its JSON and its stored (mime type, bytes) images, in order."""
    data = json.loads(request_json)
    data.pop("segments", None)
    request = VideoRequest.model_validate(data, strict=False)
    frames = tuple(ImageInput(data=data, mime_type=mime) for mime, data in images)  # type: ignore[arg-type]
    return request.model_copy(update={"images": frames})


def prompt_of(request_json: str) -> str:
    """The prompt of a stored request."""
    return str(json.loads(request_json).get("prompt", ""))
