"""The fake gateway's model table, transcribed from /work/shared/apiyi-docs (not from bot.gateway.catalog).

reverse-overview-sync-api.txt and reverse-async-api.txt: eight Reverse IDs `veo-3.1[-landscape][-fast][-fl]`,
fixed 8-second clips, portrait 720x1280 unless -landscape (1280x720), -fl needs 1 or 2 jpeg/png images and
nothing else takes one, n 1..4 in sync mode, $0.25 standard / $0.15 fast.
official-text-to-video.txt and official-image-to-video.txt: `veo-3.1-generate-preview` ($1.2) and
`veo-3.1-fast-generate-preview` ($0.3), async only, "4"/"6"/"8" seconds, 720p/1080p/4k, aspect ratio as a
parameter, at most one jpeg/png/webp input_reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ChannelName = Literal["reverse", "official"]
OrientationName = Literal["portrait", "landscape"]


@dataclass(frozen=True)
class DocModel:
    """One documented model ID and what its page says it can do."""

    id: str
    channel: ChannelName
    fast: bool
    orientation: OrientationName | None  # None: the Official channel takes it as a parameter
    frame_to_video: bool
    max_images: int
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    max_n: int
    price_usd: str
    image_types: tuple[str, ...]


def _reverse(model_id: str, price_usd: str) -> DocModel:
    frame_to_video = model_id.endswith("-fl")
    return DocModel(
        id=model_id,
        channel="reverse",
        fast="-fast" in model_id,
        orientation="landscape" if "-landscape" in model_id else "portrait",
        frame_to_video=frame_to_video,
        max_images=2 if frame_to_video else 0,
        durations=(8,),
        resolutions=("720p",),
        max_n=4,
        price_usd=price_usd,
        image_types=("image/jpeg", "image/png") if frame_to_video else (),
    )


def _official(model_id: str, price_usd: str) -> DocModel:
    return DocModel(
        id=model_id,
        channel="official",
        fast="-fast-" in model_id,
        orientation=None,
        frame_to_video=False,
        max_images=1,
        durations=(4, 6, 8),
        resolutions=("720p", "1080p", "4k"),
        max_n=1,
        price_usd=price_usd,
        image_types=("image/jpeg", "image/png", "image/webp"),
    )


# The pricing tables of the two channels, row by row.
DOC_MODELS: dict[str, DocModel] = {
    model.id: model
    for model in (
        _reverse("veo-3.1", "0.25"),
        _reverse("veo-3.1-fl", "0.25"),
        _reverse("veo-3.1-fast", "0.15"),
        _reverse("veo-3.1-fast-fl", "0.15"),
        _reverse("veo-3.1-landscape", "0.25"),
        _reverse("veo-3.1-landscape-fl", "0.25"),
        _reverse("veo-3.1-landscape-fast", "0.15"),
        _reverse("veo-3.1-landscape-fast-fl", "0.15"),
        _official("veo-3.1-fast-generate-preview", "0.3"),
        _official("veo-3.1-generate-preview", "1.2"),
    )
}

PIXELS: dict[OrientationName, tuple[int, int]] = {"portrait": (720, 1280), "landscape": (1280, 720)}
