"""Turn what the user typed (options, a prompt, maybe photos) into a validated VideoRequest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.gateway.catalog import ASPECT_RATIOS, Channel, ModelSpec, Orientation, get_model, resolve_model
from bot.gateway.catalog import UnknownModelError as _UnknownModel
from bot.gateway.errors import InvalidRequestError
from bot.gateway.request import ImageInput, Mode, VideoRequest, validate_request
from bot.video_defaults import VideoDefaults, apply_defaults
from bot.video_options import VideoOptions


@dataclass(frozen=True)
class FrameImage:
    """An image ready to send upstream, with the orientation it has."""

    data: bytes
    mime_type: str
    orientation: Orientation


@dataclass(frozen=True)
class BuiltRequest:
    """A validated request and how it will be generated."""

    request: VideoRequest
    spec: ModelSpec
    mode: Mode


def build_request(
    options: VideoOptions,
    images: Sequence[FrameImage],
    *,
    default_model: str,
    generation_mode: Mode,
    defaults: VideoDefaults | None = None,
) -> BuiltRequest:
    """Pick the model, fill in orientation and defaults, and validate; raises InvalidRequestError.

    `defaults` are the user's or the group's saved ones; without them the operator's apply.
    """
    if defaults is not None:
        options = apply_defaults(
            options,
            defaults,
            photo=images[0].orientation if images else None,
            has_images=bool(images),
            generation_mode=generation_mode,
        )
    spec = _choose_model(options, images, default_model)
    orientation = options.orientation or (images[0].orientation if images else None)
    aspect_ratio = None
    if spec.channel is Channel.OFFICIAL:
        aspect_ratio = ASPECT_RATIOS[orientation or Orientation.PORTRAIT]
    request = VideoRequest(
        prompt=options.prompt.strip(),
        model=spec.id,
        images=tuple(ImageInput(data=image.data, mime_type=image.mime_type) for image in images),  # type: ignore[arg-type]
        n=options.n or 1,
        seconds=options.seconds,
        resolution=options.resolution,
        aspect_ratio=aspect_ratio,  # type: ignore[arg-type]
        seed=options.seed,
        negative_prompt=options.negative_prompt,
    )
    mode: Mode = "async" if spec.channel is Channel.OFFICIAL else generation_mode
    validate_request(request, mode=mode)
    return BuiltRequest(request=request, spec=spec, mode=mode)


def _choose_model(options: VideoOptions, images: Sequence[FrameImage], default_model: str) -> ModelSpec:
    """An explicit --model is used exactly; otherwise the default model's channel, adapted to the
    orientation, speed and images. Never switches channel by itself: that would change the price."""
    if options.model:
        try:
            return get_model(options.model)
        except _UnknownModel:
            raise InvalidRequestError(
                "unknown_model", f"There is no model called {options.model!r}.", model=options.model
            ) from None
    base = get_model(default_model)
    channel = base.channel
    orientation = options.orientation or (images[0].orientation if images else None)
    return resolve_model(
        channel=channel,
        orientation=orientation or base.orientation or Orientation.PORTRAIT,
        fast=base.fast if options.fast is None else options.fast,
        has_images=bool(images),
    )
