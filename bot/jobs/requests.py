"""How a job's request is stored in the ledger: JSON without the images (they have their own table)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.gateway.request import ImageInput, VideoRequest


def dump_request(request: VideoRequest) -> str:
    """The request as JSON, images left out."""
    return request.model_dump_json(exclude={"images"})


def restore_request(request_json: str, images: Sequence[tuple[str, bytes]]) -> VideoRequest:
    """Rebuild a request from its JSON and its stored (mime type, bytes) images, in order."""
    request = VideoRequest.model_validate_json(request_json)
    frames = tuple(ImageInput(data=data, mime_type=mime) for mime, data in images)  # type: ignore[arg-type]
    return request.model_copy(update={"images": frames})
