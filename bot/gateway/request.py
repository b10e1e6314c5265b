"""The typed video request, the rules it must meet before anything is sent upstream, its wire bodies."""

from __future__ import annotations

import base64
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.gateway.catalog import ASPECT_RATIOS, OFFICIAL_SIZES, Channel, ModelSpec, get_model
from bot.gateway.catalog import UnknownModelError as _UnknownModel
from bot.gateway.errors import InvalidRequestError

MAX_PROMPT_CHARS = 2000
MAX_NEGATIVE_PROMPT_CHARS = 500
MAX_SEED = 2**32 - 1

Mode = Literal["sync", "async"]
ImageMimeType = Literal["image/jpeg", "image/png", "image/webp"]
AspectRatio = Literal["16:9", "9:16"]


class ImageInput(BaseModel):
    """An image sent as bytes (never as a URL: Telegram file URLs carry the bot token)."""

    model_config = ConfigDict(frozen=True, strict=True)

    data: bytes = Field(repr=False)
    mime_type: ImageMimeType

    @property
    def filename(self) -> str:
        """A file name whose extension matches the type, for multipart uploads."""
        return "frame." + self.mime_type.split("/")[1].replace("jpeg", "jpg")


class VideoRequest(BaseModel):
    """What to generate. Validate with `validate_request` before sending."""

    model_config = ConfigDict(frozen=True, strict=True)

    prompt: str
    model: str
    images: tuple[ImageInput, ...] = ()
    n: int = 1
    seconds: int | None = None
    resolution: str | None = None
    aspect_ratio: AspectRatio | None = None
    seed: int | None = None
    negative_prompt: str | None = None

    @property
    def spec(self) -> ModelSpec:
        """The catalog entry of this request's model (raises for an unknown model)."""
        return get_model(self.model)

    @property
    def clip_seconds(self) -> int:
        """The length of each clip this request produces."""
        return self.seconds or self.spec.default_duration


def validate_request(request: VideoRequest, *, mode: Mode) -> ModelSpec:
    """Check every documented rule; raise InvalidRequestError with a user-presentable message."""
    prompt = request.prompt.strip()
    if not prompt:
        raise InvalidRequestError("prompt_required", "Describe the video you want: the prompt is empty.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequestError(
            "prompt_too_long",
            f"The prompt is {len(prompt)} characters long; the limit is {MAX_PROMPT_CHARS}.",
            limit=MAX_PROMPT_CHARS,
        )
    try:
        spec = get_model(request.model)
    except _UnknownModel:
        raise InvalidRequestError(
            "unknown_model", f"There is no model called {request.model!r}.", model=request.model
        ) from None

    _check_images(request, spec)
    _check_count(request, spec, mode)
    _check_duration_and_resolution(request, spec)
    _check_official_only_fields(request, spec)
    return spec


def _check_images(request: VideoRequest, spec: ModelSpec) -> None:
    count = len(request.images)
    if spec.frame_to_video and count == 0:
        raise InvalidRequestError(
            "images_required", f"{spec.id} animates a photo: send 1 or 2 images with it.", model=spec.id
        )
    if count and not spec.takes_images:
        raise InvalidRequestError(
            "images_not_allowed",
            f"{spec.id} makes video from text only; use a -fl model for photos.",
            model=spec.id,
        )
    if count > spec.max_images:
        raise InvalidRequestError(
            "too_many_images",
            f"{spec.id} takes at most {spec.max_images} image(s); {count} were given.",
            model=spec.id,
            limit=spec.max_images,
        )
    for image in request.images:
        if image.mime_type not in spec.image_mime_types:
            raise InvalidRequestError(
                "image_type_not_allowed",
                f"{spec.id} takes {', '.join(spec.image_mime_types)} images, not {image.mime_type}.",
                model=spec.id,
            )


def _check_count(request: VideoRequest, spec: ModelSpec, mode: Mode) -> None:
    if not 1 <= request.n <= 4:
        raise InvalidRequestError("n_out_of_range", "The number of videos must be between 1 and 4.")
    if request.n > 1 and (spec.channel is Channel.OFFICIAL or mode == "async"):
        raise InvalidRequestError(
            "n_requires_sync",
            "Several videos in one request need a Reverse model in streaming (sync) mode.",
            model=spec.id,
        )
    if request.n > spec.max_n:
        raise InvalidRequestError(
            "n_out_of_range", f"{spec.id} makes at most {spec.max_n} video(s) per request.", limit=spec.max_n
        )


def _check_duration_and_resolution(request: VideoRequest, spec: ModelSpec) -> None:
    if request.seconds is not None and request.seconds not in spec.durations:
        allowed = "/".join(str(d) for d in spec.durations)
        raise InvalidRequestError(
            "duration_not_allowed",
            f"{spec.id} makes {allowed}-second clips, not {request.seconds} seconds.",
            model=spec.id,
            allowed=allowed,
        )
    if request.resolution is not None and request.resolution not in spec.resolutions:
        raise InvalidRequestError(
            "resolution_not_allowed",
            f"{spec.id} supports {', '.join(spec.resolutions)}, not {request.resolution}.",
            model=spec.id,
        )
    if request.resolution in ("1080p", "4k") and request.clip_seconds != 8:
        raise InvalidRequestError(
            "duration_requires_8s",
            f"{request.resolution} videos are always 8 seconds long; drop --seconds or use 720p.",
        )


def _check_official_only_fields(request: VideoRequest, spec: ModelSpec) -> None:
    if spec.channel is Channel.OFFICIAL:
        if request.seed is not None and not 0 <= request.seed <= MAX_SEED:
            raise InvalidRequestError("seed_out_of_range", f"The seed must be between 0 and {MAX_SEED}.")
        if request.negative_prompt is not None and len(request.negative_prompt) > MAX_NEGATIVE_PROMPT_CHARS:
            raise InvalidRequestError(
                "negative_too_long",
                f"The negative prompt is limited to {MAX_NEGATIVE_PROMPT_CHARS} characters.",
            )
        return
    if request.seed is not None:
        raise InvalidRequestError(
            "seed_not_supported", f"{spec.id} does not take a seed; Official models do.", model=spec.id
        )
    if request.negative_prompt is not None:
        raise InvalidRequestError(
            "negative_not_supported",
            f"{spec.id} does not take a negative prompt; Official models do.",
            model=spec.id,
        )
    if request.aspect_ratio is not None and request.aspect_ratio != ASPECT_RATIOS[spec.orientation]:  # type: ignore[index]
        raise InvalidRequestError(
            "aspect_ratio_mismatch",
            f"{spec.id} makes {ASPECT_RATIOS[spec.orientation]} video; pick the -landscape model for 16:9.",  # type: ignore[index]
        )


# -- wire bodies ------------------------------------------------------------------------------------


def chat_body(request: VideoRequest, spec: ModelSpec) -> dict[str, Any]:
    """The Reverse sync stream's JSON: one user message, stream=true, n."""
    return {
        "model": spec.id,
        "messages": [{"role": "user", "content": _chat_content(request)}],
        "stream": True,
        "n": request.n,
    }


def task_body(request: VideoRequest, spec: ModelSpec) -> dict[str, Any]:
    """httpx keyword arguments for POST /v1/videos: `json`, or `data` + `files` when images go with it."""
    if spec.channel is Channel.OFFICIAL:
        return _official_body(request, spec)
    fields = {"prompt": request.prompt.strip(), "model": spec.id}
    if not request.images:
        return {"json": fields}
    return {"data": fields, "files": [_upload(image) for image in request.images]}


def _upload(image: ImageInput) -> tuple[str, tuple[str, bytes, str]]:
    return "input_reference", (image.filename, image.data, image.mime_type)


def _data_url(image: ImageInput) -> str:
    return f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode('ascii')}"


def _chat_content(request: VideoRequest) -> str | list[dict[str, Any]]:
    """Text alone, or a text part plus image_url parts (first = start frame, second = end frame)."""
    prompt = request.prompt.strip()
    if not request.images:
        return prompt
    parts: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
    for image in request.images:
        parts.append({"type": "image_url", "image_url": {"url": _data_url(image)}})
    return parts


def _official_body(request: VideoRequest, spec: ModelSpec) -> dict[str, Any]:
    """JSON with `duration` + `metadata.*`, or multipart with `seconds` + flat fields; never generateAudio."""
    resolution = request.resolution or "720p"
    aspect_ratio = request.aspect_ratio or "16:9"
    orientation = next(key for key, value in ASPECT_RATIOS.items() if value == aspect_ratio)
    options: dict[str, Any] = {"resolution": resolution, "aspectRatio": aspect_ratio}
    if request.seed is not None:
        options["seed"] = request.seed
    if request.negative_prompt:
        options["negativePrompt"] = request.negative_prompt
    common = {
        "model": spec.id,
        "prompt": request.prompt.strip(),
        "size": OFFICIAL_SIZES[(resolution, orientation)],
    }
    seconds = str(request.clip_seconds)  # a string: the gateway rejects a number
    if request.images:
        form = {**common, "seconds": seconds, **{key: str(value) for key, value in options.items()}}
        return {"data": form, "files": [_upload(request.images[0])]}
    return {"json": {**common, "duration": seconds, "metadata": options}}
