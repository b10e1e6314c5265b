"""The bot's model catalog agrees with the fake gateway's table, which is transcribed from the docs."""

from __future__ import annotations

from decimal import Decimal

from bot.gateway.catalog import MODELS, ModelSpec
from tests.fakes.gateway import DOC_MODELS, DocModel


def _as_documented(spec: ModelSpec) -> DocModel:
    """The catalog entry in the docs' terms."""
    return DocModel(
        id=spec.id,
        channel="official" if spec.channel.value == "official" else "reverse",
        fast=spec.fast,
        orientation=None if spec.orientation is None else spec.orientation.value,  # type: ignore[arg-type]
        frame_to_video=spec.frame_to_video,
        max_images=spec.max_images,
        durations=spec.durations,
        resolutions=spec.resolutions,
        max_n=spec.max_n,
        price_usd=str(Decimal(spec.price_cents) / 100),
        image_types=spec.image_mime_types,
    )


def test_the_catalog_has_exactly_the_documented_models() -> None:
    assert sorted(MODELS) == sorted(DOC_MODELS)


def test_every_model_has_the_documented_capabilities_and_price() -> None:
    mismatches = {
        model_id: (_as_documented(spec), DOC_MODELS[model_id])
        for model_id, spec in MODELS.items()
        if model_id in DOC_MODELS and _as_documented(spec) != DOC_MODELS[model_id]
    }
    assert mismatches == {}
