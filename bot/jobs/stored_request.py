"""How a job's request is stored in the ledger: JSON without the images (they have their own table)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.gateway.request import ImageInput, VideoRequest

if TYPE_CHECKING:
    from storage import Job


def dump_request(request: VideoRequest, *, segments: int = 1) -> str:
    """The request as JSON, images left out; `segments` > 1 marks a chained (extended) video."""
    data = request.model_dump(mode="json", exclude={"images"})
    if segments > 1:
        data["segments"] = segments
    return json.dumps(data)


@dataclass(frozen=True)
class StoredRequest:
    """A job's request as the ledger keeps it, parsed once: the request without its images, and how
    many chained clips it makes (1 for an ordinary request)."""

    request: VideoRequest
    segments: int = 1

    @classmethod
    def parse(cls, request_json: str) -> StoredRequest:
        """Read the stored JSON (written by `dump_request`)."""
        data = json.loads(request_json)
        segments = int(data.pop("segments", 1))
        return cls(VideoRequest.model_validate(data, strict=False), segments)

    @classmethod
    def from_job(cls, job: Job) -> StoredRequest:
        """The job's stored request."""
        return cls.parse(job.request_json)

    @property
    def prompt(self) -> str:
        """What the user asked for."""
        return self.request.prompt

    @property
    def chained(self) -> bool:
        """True for an extended video: clip after clip, stitched into one."""
        return self.segments > 1

    def with_images(self, images: Sequence[tuple[str, bytes]]) -> VideoRequest:
        """The request with its stored (mime type, bytes) images put back, in order."""
        frames = tuple(ImageInput(data=data, mime_type=mime) for mime, data in images)  # type: ignore[arg-type]
        return self.request.model_copy(update={"images": frames})
