"""build_request without saved defaults: the operator's DEFAULT_MODEL gives the channel and tier, typed
options and the photo adapt it (README: orientation defaults to portrait, or the photo's), and an
explicit --model is used exactly."""

from __future__ import annotations

import pytest

from bot.gateway.catalog import Orientation
from bot.gateway.errors import InvalidRequestError
from bot.gateway.request import Mode
from bot.jobs.build import BuiltRequest, FrameImage, build_request
from bot.video_options import VideoOptions, parse_video_args
from tests.fakes.media import make_image

PORTRAIT_PHOTO = FrameImage(make_image(width=64, height=96), "image/jpeg", Orientation.PORTRAIT)
LANDSCAPE_PHOTO = FrameImage(make_image(width=96, height=64, fmt="PNG"), "image/png", Orientation.LANDSCAPE)
OFFICIAL_FAST = "veo-3.1-fast-generate-preview"
OFFICIAL_STANDARD = "veo-3.1-generate-preview"


def build(
    typed: str, operator_model: str, photo: FrameImage | None = None, mode: Mode = "sync"
) -> BuiltRequest:
    images = [photo] if photo else []
    return build_request(parse_video_args(typed), images, default_model=operator_model, generation_mode=mode)


FAST, LANDSCAPE = "veo-3.1-fast", "veo-3.1-landscape"

# typed, operator's DEFAULT_MODEL, photo, GENERATION_MODE -> model, mode
CHOICES = {
    "operator default": ("a fox", FAST, None, "sync", FAST, "sync"),
    "reverse follows async mode": ("a fox", FAST, None, "async", FAST, "async"),
    "operator landscape": ("a fox", LANDSCAPE, None, "sync", LANDSCAPE, "sync"),
    "--portrait turns landscape": ("--portrait a fox", LANDSCAPE, None, "sync", "veo-3.1", "sync"),
    "--fast keeps the orientation": (
        "--fast a fox",
        LANDSCAPE,
        None,
        "sync",
        "veo-3.1-landscape-fast",
        "sync",
    ),
    "portrait photo beats landscape": ("a fox", LANDSCAPE, PORTRAIT_PHOTO, "sync", "veo-3.1-fl", "sync"),
    "--portrait beats the photo": (
        "--portrait a fox",
        FAST,
        LANDSCAPE_PHOTO,
        "sync",
        "veo-3.1-fast-fl",
        "sync",
    ),
    "-fl default without a photo": ("a fox", "veo-3.1-fast-fl", None, "sync", FAST, "sync"),
    "official is always async": ("a fox", OFFICIAL_FAST, None, "sync", OFFICIAL_FAST, "async"),
    "official takes a photo itself": ("a fox", OFFICIAL_FAST, PORTRAIT_PHOTO, "sync", OFFICIAL_FAST, "async"),
    "official --standard": ("--standard a fox", OFFICIAL_FAST, None, "sync", OFFICIAL_STANDARD, "async"),
    "official --fast": ("--fast a fox", OFFICIAL_STANDARD, None, "sync", OFFICIAL_FAST, "async"),
    "typed reverse model": (f"--model {LANDSCAPE} a fox", OFFICIAL_FAST, None, "sync", LANDSCAPE, "sync"),
    # An explicit --model is used exactly, whatever the photo.
    "typed model kept": (
        "--model veo-3.1-landscape-fast-fl a fox",
        FAST,
        PORTRAIT_PHOTO,
        "sync",
        "veo-3.1-landscape-fast-fl",
        "sync",
    ),
}


@pytest.mark.parametrize(
    ("typed", "operator_model", "photo", "operator_mode", "model", "mode"),
    CHOICES.values(),
    ids=CHOICES.keys(),
)
def test_the_model_follows_operator_options_and_photo(
    typed: str, operator_model: str, photo: FrameImage | None, operator_mode: Mode, model: str, mode: Mode
) -> None:
    built = build(typed, operator_model, photo, operator_mode)
    assert (built.request.model, built.mode) == (model, mode)
    assert built.spec.id == model


PORTRAIT_BY_DEFAULT = pytest.mark.xfail(
    strict=True,
    reason="bot/jobs/build.py sends Official requests without an orientation as 16:9 (README: default "
    "portrait; saved 'auto' defaults give 9:16); tests/e2e/test_chats_and_modes.py pins 16:9",
)


@pytest.mark.parametrize(
    ("typed", "operator_model", "photo", "aspect_ratio"),
    [
        # Reverse models carry the orientation in their ID and send no aspect ratio.
        ("a fox", "veo-3.1-landscape", None, None),
        ("--landscape a fox", OFFICIAL_FAST, None, "16:9"),
        ("--portrait a fox", OFFICIAL_FAST, LANDSCAPE_PHOTO, "9:16"),
        ("a fox", OFFICIAL_FAST, LANDSCAPE_PHOTO, "16:9"),
        ("a fox", OFFICIAL_FAST, PORTRAIT_PHOTO, "9:16"),
        pytest.param("a fox", OFFICIAL_FAST, None, "9:16", marks=PORTRAIT_BY_DEFAULT, id="official-default"),
        pytest.param(
            f"--model {OFFICIAL_STANDARD} a fox",
            "veo-3.1-fast",
            None,
            "9:16",
            marks=PORTRAIT_BY_DEFAULT,
            id="typed-official-default",
        ),
    ],
)
def test_official_requests_send_the_orientation_asked_for_or_the_photos(
    typed: str, operator_model: str, photo: FrameImage | None, aspect_ratio: str | None
) -> None:
    assert build(typed, operator_model, photo).request.aspect_ratio == aspect_ratio


def test_the_request_carries_the_prompt_images_and_official_options() -> None:
    built = build_request(
        parse_video_args('  a fox  --seed 7 --seconds 6 --negative "blurry, text"'),
        [LANDSCAPE_PHOTO],
        default_model=OFFICIAL_FAST,
        generation_mode="async",
    )
    request = built.request
    assert request.prompt == "a fox"
    assert [(image.mime_type, image.data) for image in request.images] == [
        ("image/png", LANDSCAPE_PHOTO.data)
    ]
    assert (request.seed, request.seconds, request.negative_prompt, request.n) == (7, 6, "blurry, text", 1)
    assert built.spec.id == OFFICIAL_FAST and built.spec.price_cents == 30


@pytest.mark.parametrize(
    ("options", "photo", "code"),
    [
        (VideoOptions(prompt="a fox", model="veo-9"), None, "unknown_model"),
        (VideoOptions(prompt="   "), None, "prompt_required"),
        # An exact --model is not adapted to the photo: a text-to-video model refuses it.
        (VideoOptions(prompt="a fox", model="veo-3.1-fast"), PORTRAIT_PHOTO, "images_not_allowed"),
        (VideoOptions(prompt="a fox", model="veo-3.1-fast-fl"), None, "images_required"),
        (VideoOptions(prompt="a fox", n=2), None, "n_requires_sync"),  # async mode makes one video
    ],
)
def test_impossible_requests_are_refused_before_anything_is_sent(
    options: VideoOptions, photo: FrameImage | None, code: str
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        build_request(
            options, [photo] if photo else [], default_model="veo-3.1-fast", generation_mode="async"
        )
    assert refused.value.code == code


def test_an_unknown_model_is_named_in_the_refusal() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        build_request(
            VideoOptions("a fox", model="veo-9"), [], default_model="veo-3.1-fast", generation_mode="sync"
        )
    assert refused.value.details == {"model": "veo-9"}
