"""The ten VEO 3.1 model IDs the APIYI gateway serves, and what each one can do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Channel(StrEnum):
    """Reverse (Google Flow, sync stream or async) or Official (Google AI Studio, async only)."""

    REVERSE = "reverse"
    OFFICIAL = "official"


class Orientation(StrEnum):
    """Portrait 9:16 or landscape 16:9."""

    PORTRAIT = "portrait"
    LANDSCAPE = "landscape"

    @classmethod
    def of(cls, width: int, height: int) -> Orientation:
        """Landscape when wider than tall; a square counts as portrait, the bot's default 9:16."""
        return cls.LANDSCAPE if width > height else cls.PORTRAIT


ASPECT_RATIOS = {Orientation.PORTRAIT: "9:16", Orientation.LANDSCAPE: "16:9"}

OFFICIAL_SIZES = {
    ("720p", Orientation.LANDSCAPE): "1280x720",
    ("720p", Orientation.PORTRAIT): "720x1280",
    ("1080p", Orientation.LANDSCAPE): "1920x1080",
    ("1080p", Orientation.PORTRAIT): "1080x1920",
    ("4k", Orientation.LANDSCAPE): "3840x2160",
    ("4k", Orientation.PORTRAIT): "2160x3840",
}


@dataclass(frozen=True)
class ModelSpec:
    """One model ID and its capabilities."""

    id: str
    channel: Channel
    fast: bool
    # Reverse models fix the orientation in the ID; Official models take it as a parameter (None).
    orientation: Orientation | None
    min_images: int
    max_images: int
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    max_n: int
    price_cents: int
    image_mime_types: tuple[str, ...]

    @property
    def frame_to_video(self) -> bool:
        """True for the Reverse `-fl` models that need a start (and optional end) frame."""
        return self.channel is Channel.REVERSE and self.min_images > 0

    @property
    def takes_images(self) -> bool:
        """True when the model accepts at least one image."""
        return self.max_images > 0

    @property
    def default_duration(self) -> int:
        """Seconds when the user names none: the longest clip the model makes."""
        return max(self.durations)

    def price_for(self, n: int) -> int:
        """Cents for n clips: every clip is billed, independent of length or resolution."""
        return self.price_cents * n


REVERSE_IMAGE_TYPES = ("image/jpeg", "image/png")
OFFICIAL_IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


def _reverse_id(orientation: Orientation, fast: bool, fl: bool) -> str:
    """Suffix order is fixed by the gateway: veo-3.1[-landscape][-fast][-fl]."""
    parts = ["veo-3.1"]
    if orientation is Orientation.LANDSCAPE:
        parts.append("landscape")
    if fast:
        parts.append("fast")
    if fl:
        parts.append("fl")
    return "-".join(parts)


def _build_catalog() -> dict[str, ModelSpec]:
    models: dict[str, ModelSpec] = {}
    for orientation in (Orientation.PORTRAIT, Orientation.LANDSCAPE):
        for fast in (False, True):
            for fl in (False, True):
                spec = ModelSpec(
                    id=_reverse_id(orientation, fast, fl),
                    channel=Channel.REVERSE,
                    fast=fast,
                    orientation=orientation,
                    min_images=1 if fl else 0,
                    max_images=2 if fl else 0,
                    durations=(8,),
                    resolutions=("720p",),
                    max_n=4,
                    price_cents=15 if fast else 25,
                    image_mime_types=REVERSE_IMAGE_TYPES if fl else (),
                )
                models[spec.id] = spec
    for fast in (False, True):
        spec = ModelSpec(
            id="veo-3.1-fast-generate-preview" if fast else "veo-3.1-generate-preview",
            channel=Channel.OFFICIAL,
            fast=fast,
            orientation=None,
            min_images=0,
            max_images=1,
            durations=(4, 6, 8),
            resolutions=("720p", "1080p", "4k"),
            max_n=1,
            price_cents=30 if fast else 120,
            image_mime_types=OFFICIAL_IMAGE_TYPES,
        )
        models[spec.id] = spec
    return models


MODELS: dict[str, ModelSpec] = _build_catalog()


class UnknownModelError(KeyError):
    """The model ID is not one of the ten the gateway serves."""

    def __init__(self, model_id: str) -> None:
        super().__init__(model_id)
        self.model_id = model_id


def get_model(model_id: str) -> ModelSpec:
    """Look a model up by its exact ID."""
    try:
        return MODELS[model_id]
    except KeyError:
        raise UnknownModelError(model_id) from None


def resolve_model(
    *,
    channel: Channel = Channel.REVERSE,
    orientation: Orientation = Orientation.PORTRAIT,
    fast: bool = True,
    has_images: bool = False,
) -> ModelSpec:
    """Pick the model ID for a request's channel, orientation, speed and whether it carries images."""
    if channel is Channel.OFFICIAL:
        return get_model("veo-3.1-fast-generate-preview" if fast else "veo-3.1-generate-preview")
    return get_model(_reverse_id(orientation, fast, has_images))
