"""POST /v1/videos: async task creation for both channels, JSON or multipart."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.fakes.gateway.handlers import _BaseHandler
from tests.fakes.gateway.models import DOC_MODELS, PIXELS, DocModel
from tests.fakes.gateway.tasks import (
    _SIZE_RESOLUTION,
    DOCUMENTED_SIZES,
    FILE_FAULTS,
    FakeTask,
    _dimensions,
    _Refused,
)


class _CreateVideoHandler(_BaseHandler):
    """POST /v1/videos: JSON or multipart, both channels."""

    async def post(self) -> None:
        try:
            task = self._create()
        except _Refused as error:
            self.refuse(error)
            return
        if task is None:
            return
        self.gw.tasks[task.id] = task
        self.gw.stats.created += 1
        if task.spec.channel == "official":
            body: dict[str, Any] = {
                "id": task.id,
                "task_id": task.id,
                "object": "video",
                "model": task.spec.id,
                "status": "queued",
                "progress": 0,
                "created_at": task.created_ts,
            }
        else:
            body = {
                "id": task.id,
                "object": "video",
                "created": task.created_ts,
                "status": "queued",
                "model": task.spec.id,
            }
        self.send_json(200, body)

    def _create(self) -> FakeTask | None:
        multipart = "multipart/form-data" in self.request.headers.get("Content-Type", "")
        if multipart:
            fields = {name: values[0] for name, values in (self.record.form if self.record else {}).items()}
            uploads = self.request.files.get("input_reference", [])
        else:
            if not isinstance(self.json_body, dict):
                raise _Refused(
                    400, "parse_request_failed: request body is not a JSON object", "parse_request_failed"
                )
            fields = self.json_body
            uploads = []
        model = fields.get("model")
        spec = DOC_MODELS.get(model) if isinstance(model, str) else None
        if spec is None:
            raise _Refused(400, f"Model not found: {model}", "invalid_model")
        prompt = fields.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise _Refused(400, "prompt is required", "invalid_prompt")
        metadata = fields.get("metadata") if not multipart else None
        if "generateAudio" in fields or (isinstance(metadata, dict) and "generateAudio" in metadata):
            raise _Refused(
                400, "INVALID_ARGUMENT: generateAudio is not supported for this model", "INVALID_ARGUMENT"
            )
        if self.submit_faults(prompt):
            return None
        if spec.channel == "reverse":
            seconds, width, height, resolution = self._reverse(spec, multipart, uploads)
        else:
            seconds, width, height, resolution = self._official(fields, multipart, uploads)
        method, path = "POST", self.request.path
        file_faults = frozenset(self.gw._markers(prompt, FILE_FAULTS))
        prefix = "video_" if spec.channel == "reverse" else "task_"
        task_id = prefix + (str(uuid.uuid4()) if spec.channel == "reverse" else uuid.uuid4().hex[:16])
        return FakeTask(
            id=task_id,
            spec=spec,
            prompt=prompt,
            created_at=self.gw.clock(),
            created_ts=int(time.time()),
            generation_seconds=self.gw._generation_time(prompt, method, path),
            seconds=seconds,
            width=width,
            height=height,
            resolution=resolution,
            outcome=self.gw._outcome(prompt, method, path),
            file_faults=file_faults,
        )

    def _reverse(self, spec: DocModel, multipart: bool, uploads: list[Any]) -> tuple[int, int, int, str]:
        if spec.frame_to_video:
            if not multipart:
                raise _Refused(
                    400, f"{spec.id} (frame-to-video) requires multipart/form-data with input_reference"
                )
            if not 1 <= len(uploads) <= 2:
                raise _Refused(400, f"{spec.id} takes 1 or 2 input_reference images, got {len(uploads)}")
            for upload in uploads:
                if upload.content_type not in ("image/jpeg", "image/png"):
                    raise _Refused(
                        400, f"input_reference must be image/jpeg or image/png, not {upload.content_type}"
                    )
        elif uploads:
            raise _Refused(400, f"{spec.id} does not accept input_reference; use a -fl model")
        assert spec.orientation is not None
        width, height = _dimensions(spec.orientation)
        label = "x".join(str(pixels) for pixels in PIXELS[spec.orientation])
        return 8, width, height, label

    def _official(
        self, fields: dict[str, Any], multipart: bool, uploads: list[Any]
    ) -> tuple[int, int, int, str]:
        if multipart:
            # The documented quirk: `duration` is ignored here and the default is 4 s unless `seconds` is set.
            raw_seconds: object = fields.get("seconds", "4")
            resolution_field = fields.get("resolution")
            aspect_field = fields.get("aspectRatio")
            if not uploads:
                raise _Refused(400, "input_reference is required for image-to-video")
            upload = uploads[0]  # Only the first image is kept; the rest are silently dropped.
            if upload.content_type not in ("image/jpeg", "image/png", "image/webp"):
                raise _Refused(400, f"input_reference must be jpeg, png or webp, not {upload.content_type}")
        else:
            metadata = fields.get("metadata") or {}
            if not isinstance(metadata, dict):
                raise _Refused(
                    400, "parse_request_failed: metadata must be an object", "parse_request_failed"
                )
            for name in ("duration", "seconds"):
                if name in fields and not isinstance(fields[name], str):
                    raise _Refused(
                        400,
                        f"parse_request_failed: cannot unmarshal number into Go struct field "
                        f"VideoRequest.{name} of type string",
                        "parse_request_failed",
                    )
            raw_seconds = (
                metadata.get("durationSeconds") or fields.get("duration") or fields.get("seconds") or "8"
            )
            resolution_field = metadata.get("resolution")
            aspect_field = metadata.get("aspectRatio")
        if str(raw_seconds) not in ("4", "6", "8"):
            raise _Refused(400, f'duration must be "4", "6" or "8", not {raw_seconds!r}')
        seconds = int(str(raw_seconds))
        size = fields.get("size")
        if size is not None and size not in DOCUMENTED_SIZES:
            raise _Refused(400, f"unsupported size {size!r}")
        resolution = resolution_field or (_SIZE_RESOLUTION[min(size.split("x"), key=int)] if size else "720p")
        if resolution not in ("720p", "1080p", "4k"):
            raise _Refused(400, f"unsupported resolution {resolution!r}")
        if resolution in ("1080p", "4k") and seconds != 8:
            raise _Refused(400, f'INVALID_ARGUMENT: {resolution} requires duration "8"', "INVALID_ARGUMENT")
        if aspect_field is None and size:
            width_px, height_px = (int(part) for part in size.split("x"))
            aspect_field = "16:9" if width_px > height_px else "9:16"
        aspect = aspect_field or "16:9"
        if aspect not in ("16:9", "9:16"):
            raise _Refused(400, f"unsupported aspectRatio {aspect!r}")
        width, height = _dimensions("landscape" if aspect == "16:9" else "portrait")
        return seconds, width, height, resolution
