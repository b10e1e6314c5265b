"""Turning an InputFile parameter (upload, attach://, file_id or URL) into stored files."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tests.fakes.bot_api_media import image_size, photo_variants, probe_video
from tests.fakes.bot_api_model import FileKind, StoredFile
from tests.fakes.bot_api_spec import ApiError, Upload, bad_request
from tests.fakes.bot_api_state import BotState

logger = logging.getLogger(__name__)

MB = 1024 * 1024
_KIND_NAMES: dict[FileKind, str] = {
    "photo": "Photo",
    "video": "Video",
    "document": "Document",
    "sticker": "Sticker",
    "thumbnail": "Photo",
}
_DEFAULT_NAMES: dict[FileKind, str] = {
    "photo": "photo.jpg",
    "video": "video.mp4",
    "document": "document",
    "sticker": "sticker.webp",
    "thumbnail": "thumb.jpg",
}


@dataclass(frozen=True)
class FileLimits:
    """Telegram's size limits for bots."""

    upload: int = 50 * MB
    photo: int = 10 * MB
    download: int = 20 * MB
    url_photo: int = 5 * MB
    url_other: int = 20 * MB


class FileResolver:
    """Stores uploads, looks up file_ids and fetches URLs the way Telegram does for sends."""

    def __init__(self, state: BotState, limits: FileLimits, *, fetch_timeout: float = 10.0) -> None:
        self._state = state
        self.limits = limits
        self._fetch_timeout = fetch_timeout

    async def resolve(
        self,
        value: Any,
        kind: FileKind,
        uploads: Mapping[str, Upload],
        details: Mapping[str, Any] | None = None,
    ) -> list[StoredFile]:
        """The stored file(s) for a parameter value; photos give every size, smallest first."""
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name not in uploads:
                raise bad_request(f'file "{value}" was not uploaded in this request')
            value = uploads[name]
        if isinstance(value, Upload):
            return self.store(kind, value.data, value.filename, value.content_type, details or {})
        if not isinstance(value, str) or not value:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if value.startswith(("http://", "https://")):
            data, content_type = await self._fetch(value, kind)
            name = value.rsplit("/", 1)[-1].split("?", 1)[0] or _DEFAULT_NAMES[kind]
            return self.store(kind, data, name, content_type, details or {})
        return self._known(value, kind)

    def store(
        self,
        kind: FileKind,
        data: bytes,
        filename: str | None,
        content_type: str | None,
        details: Mapping[str, Any],
    ) -> list[StoredFile]:
        """Store new bytes, reading what Telegram would read from them."""
        if not data:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            return self._store_photo(data)
        name = filename or _DEFAULT_NAMES[kind]
        mime = content_type if content_type and content_type != "application/octet-stream" else None
        extra: dict[str, Any] = {}
        if kind == "video":
            info = probe_video(data)
            extra = {
                "width": details.get("width") or info.width,
                "height": details.get("height") or info.height,
                "duration": details.get("duration") or info.duration,
            }
            mime = mime or "video/mp4"
        elif kind in ("thumbnail", "sticker"):
            width, height = image_size(data) or (0, 0)
            extra = {"width": width, "height": height}
            if kind == "sticker":
                extra["emoji"] = details.get("emoji")
        return [self._state.store_file(kind, data, file_name=name, mime_type=mime, **extra)]

    def _store_photo(self, data: bytes) -> list[StoredFile]:
        if len(data) > self.limits.photo:
            raise ApiError(413, "Request Entity Too Large")
        size = image_size(data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        try:
            variants = photo_variants(data)
        except OSError as err:
            raise bad_request("IMAGE_PROCESS_FAILED") from err
        sizes = [
            self._state.store_file("photo", variant.data, width=variant.width, height=variant.height)
            for variant in variants
        ]
        for stored in sizes:
            self._state.photo_sets[stored.file_id] = sizes
        return sizes

    def _known(self, file_id: str, kind: FileKind) -> list[StoredFile]:
        stored = self._state.files.get(file_id)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        expected = "photo" if kind == "thumbnail" else kind
        actual = "photo" if stored.kind == "thumbnail" else stored.kind
        if actual != expected:
            raise bad_request(f"can't use file of type {_KIND_NAMES[stored.kind]} as {_KIND_NAMES[kind]}")
        if stored.kind == "photo":
            return self._state.photo_sets.get(file_id, [stored])
        return [stored]

    async def _fetch(self, url: str, kind: FileKind) -> tuple[bytes, str | None]:
        limit = self.limits.url_photo if kind == "photo" else self.limits.url_other
        try:
            async with httpx.AsyncClient(timeout=httpx.Timeout(self._fetch_timeout)) as client:
                response = await client.get(url, follow_redirects=True)
        except httpx.HTTPError as err:
            logger.info("fetching %s failed: %s", url, err)
            raise bad_request("failed to get HTTP URL content") from err
        if response.status_code != 200:
            raise bad_request("failed to get HTTP URL content")
        if len(response.content) > limit:
            raise bad_request("failed to get HTTP URL content")
        return response.content, response.headers.get("content-type")
