"""Saved /video defaults: merging with typed options, what the menu offers, what a choice resets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bot.gateway.catalog import Channel, Orientation
from bot.gateway.errors import InvalidRequestError
from bot.gateway.request import Mode
from bot.jobs.build import FrameImage, build_request
from bot.video_defaults import (
    Field,
    OrientationChoice,
    Speed,
    UnavailableChoice,
    VideoDefaults,
    choose,
    menu_choices,
)
from bot.video_options import parse_video_args

OPERATOR_MODEL = "veo-3.1-fast"
LANDSCAPE_STANDARD = VideoDefaults(orientation=OrientationChoice.LANDSCAPE, speed=Speed.STANDARD)
AUTO = VideoDefaults()
THREE_AT_ONCE = VideoDefaults(n=3)
OFFICIAL_4S = VideoDefaults(channel=Channel.OFFICIAL, seconds=4, resolution="720p")
OFFICIAL_STANDARD_4K = VideoDefaults(channel=Channel.OFFICIAL, speed=Speed.STANDARD, resolution="4k")
PORTRAIT_PHOTO = FrameImage(b"jpeg", "image/jpeg", Orientation.PORTRAIT)
LANDSCAPE_PHOTO = FrameImage(b"jpeg", "image/jpeg", Orientation.LANDSCAPE)


@dataclass(frozen=True)
class Case:
    """One /video request: what was typed, the saved defaults, a photo, and what must come out."""

    typed: str
    defaults: VideoDefaults | None
    expect: dict[str, Any]
    photo: FrameImage | None = None
    mode: Mode = "sync"


CASES = {
    # Nothing saved: the operator's DEFAULT_MODEL and GENERATION_MODE, as before /settings existed.
    "operator default": Case("a fox", None, {"model": "veo-3.1-fast", "mode": "sync", "n": 1}),
    "operator default follows the photo": Case(
        "a fox", None, {"model": "veo-3.1-landscape-fast-fl"}, photo=LANDSCAPE_PHOTO
    ),
    # Saved defaults fill in what was not typed.
    "saved landscape + standard": Case("a fox", LANDSCAPE_STANDARD, {"model": "veo-3.1-landscape"}),
    "typed --portrait beats saved landscape": Case(
        "--portrait a fox", LANDSCAPE_STANDARD, {"model": "veo-3.1"}
    ),
    "typed --fast beats saved standard": Case(
        "a fox --fast", LANDSCAPE_STANDARD, {"model": "veo-3.1-landscape-fast"}
    ),
    "saved landscape beats the photo's orientation": Case(
        "a fox", LANDSCAPE_STANDARD, {"model": "veo-3.1-landscape-fl"}, photo=PORTRAIT_PHOTO
    ),
    "auto follows the photo": Case(
        "a fox", AUTO, {"model": "veo-3.1-landscape-fast-fl"}, photo=LANDSCAPE_PHOTO
    ),
    "auto without a photo is portrait": Case("a fox", AUTO, {"model": "veo-3.1-fast"}),
    "typed --model ignores saved channel and speed": Case(
        "--model veo-3.1-fast a fox", LANDSCAPE_STANDARD, {"model": "veo-3.1-fast", "price": 15}
    ),
    # Official defaults: length and resolution, async regardless of GENERATION_MODE.
    "saved Official 4 s": Case(
        "a fox",
        OFFICIAL_4S,
        {
            "model": "veo-3.1-fast-generate-preview",
            "seconds": 4,
            "resolution": "720p",
            "aspect_ratio": "9:16",
            "mode": "async",
            "price": 30,
        },
    ),
    "saved Official auto follows a landscape photo": Case(
        "a fox", OFFICIAL_4S, {"aspect_ratio": "16:9"}, photo=LANDSCAPE_PHOTO
    ),
    "typed --landscape with saved Official": Case("--landscape a fox", OFFICIAL_4S, {"aspect_ratio": "16:9"}),
    "typed --standard with saved Official": Case(
        "--standard a fox", OFFICIAL_4S, {"model": "veo-3.1-generate-preview", "price": 120}
    ),
    "typed 1080p drops the saved 4 s": Case(
        "--resolution 1080p a fox", OFFICIAL_4S, {"seconds": None, "resolution": "1080p", "clip_seconds": 8}
    ),
    "typed 6 s drops the saved 4K": Case(
        "--seconds 6 a fox",
        OFFICIAL_STANDARD_4K,
        {"model": "veo-3.1-generate-preview", "seconds": 6, "resolution": None},
    ),
    "typed Official model of the saved channel keeps saved 4 s": Case(
        "--model veo-3.1-generate-preview a fox",
        OFFICIAL_4S,
        {"model": "veo-3.1-generate-preview", "seconds": 4},
    ),
    "typed Reverse model leaves saved Official values out": Case(
        "--model veo-3.1-fast a fox",
        OFFICIAL_4S,
        {"model": "veo-3.1-fast", "seconds": None, "resolution": None, "mode": "sync", "price": 15},
    ),
    # Several clips: Reverse in sync mode only.
    "saved three at once": Case("a fox", THREE_AT_ONCE, {"n": 3, "price": 45}),
    "typed --n beats saved n": Case("--n 1 a fox", THREE_AT_ONCE, {"n": 1}),
    "saved n does not apply in async mode": Case(
        "a fox", THREE_AT_ONCE, {"n": 1, "mode": "async", "price": 15}, mode="async"
    ),
    # Impossible typed combinations still fail: nothing switches the channel (and the price) by itself.
    "typed --n 2 with saved Official": Case("--n 2 a fox", OFFICIAL_4S, {"error": "n_requires_sync"}),
    "typed --seconds 4 with saved Reverse": Case(
        "--seconds 4 a fox", LANDSCAPE_STANDARD, {"error": "duration_not_allowed"}
    ),
    "typed --resolution 4k with saved Reverse": Case(
        "--resolution 4k a fox", LANDSCAPE_STANDARD, {"error": "resolution_not_allowed"}
    ),
    "typed --seed with saved Reverse": Case("--seed 7 a fox", AUTO, {"error": "seed_not_supported"}),
    "typed --seconds 4 --resolution 4k": Case(
        "--seconds 4 --resolution 4k a fox", OFFICIAL_4S, {"error": "duration_requires_8s"}
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_typed_options_saved_defaults_and_operator_defaults_merge(case: Case) -> None:
    options = parse_video_args(case.typed)
    images = [case.photo] if case.photo else []
    expected = dict(case.expect)
    error = expected.pop("error", None)
    if error is not None:
        with pytest.raises(InvalidRequestError) as caught:
            build_request(
                options,
                images,
                default_model=OPERATOR_MODEL,
                generation_mode=case.mode,
                defaults=case.defaults,
            )
        assert caught.value.code == error
        return

    built = build_request(
        options, images, default_model=OPERATOR_MODEL, generation_mode=case.mode, defaults=case.defaults
    )

    request = built.request
    actual = {
        "model": request.model,
        "mode": built.mode,
        "n": request.n,
        "seconds": request.seconds,
        "clip_seconds": request.clip_seconds,
        "resolution": request.resolution,
        "aspect_ratio": request.aspect_ratio,
        "price": built.spec.price_for(request.n),
    }
    assert {key: actual[key] for key in expected} == expected
    assert request.prompt == "a fox"


def test_menu_offers_only_what_the_selected_model_takes() -> None:
    reverse_sync = menu_choices(AUTO, "sync")
    reverse_async = menu_choices(AUTO, "async")
    official = menu_choices(OFFICIAL_4S, "sync")

    assert reverse_sync[Field.ORIENTATION] == ("auto", "portrait", "landscape")
    assert reverse_sync[Field.SPEED] == ("fast", "standard")
    assert reverse_sync[Field.CHANNEL] == ("reverse", "official")
    assert reverse_sync[Field.COUNT] == ("1", "2", "3", "4")
    assert Field.SECONDS not in reverse_sync and Field.RESOLUTION not in reverse_sync
    assert Field.COUNT not in reverse_async
    assert official[Field.SECONDS] == ("4", "6", "8")
    assert official[Field.RESOLUTION] == ("720p", "1080p", "4k")
    assert Field.COUNT not in official


CHOICES = {
    "4K makes the clip 8 s": (OFFICIAL_4S, Field.RESOLUTION, "4k", {"seconds": 8, "resolution": "4k"}),
    "4 s brings 4K back to 720p": (
        OFFICIAL_STANDARD_4K,
        Field.SECONDS,
        "4",
        {"seconds": 4, "resolution": "720p"},
    ),
    "8 s keeps 4K": (OFFICIAL_STANDARD_4K, Field.SECONDS, "8", {"seconds": 8, "resolution": "4k"}),
    "Reverse resets Official length and resolution": (
        OFFICIAL_STANDARD_4K,
        Field.CHANNEL,
        "reverse",
        {"channel": Channel.REVERSE, "seconds": 8, "resolution": "720p", "speed": Speed.STANDARD},
    ),
    "Official resets several clips to one": (THREE_AT_ONCE, Field.CHANNEL, "official", {"n": 1}),
    "landscape keeps the rest": (
        OFFICIAL_4S,
        Field.ORIENTATION,
        "landscape",
        {"orientation": OrientationChoice.LANDSCAPE, "seconds": 4, "channel": Channel.OFFICIAL},
    ),
    "standard speed": (AUTO, Field.SPEED, "standard", {"speed": Speed.STANDARD}),
    "two clips": (AUTO, Field.COUNT, "2", {"n": 2}),
}


@pytest.mark.parametrize(("start", "field", "value", "expect"), CHOICES.values(), ids=CHOICES.keys())
def test_a_choice_resets_what_it_makes_impossible(
    start: VideoDefaults, field: Field, value: str, expect: dict[str, Any]
) -> None:
    chosen = choose(start, field, value, "sync")

    assert {key: getattr(chosen, key) for key in expect} == expect
    assert chosen == chosen.normalised("sync")


@pytest.mark.parametrize(
    ("start", "field", "value", "mode"),
    [
        (AUTO, Field.SECONDS, "4", "sync"),  # Reverse clips are 8 s: no length choice
        (AUTO, Field.RESOLUTION, "1080p", "sync"),
        (AUTO, Field.COUNT, "2", "async"),  # several clips need sync mode
        (OFFICIAL_4S, Field.COUNT, "2", "sync"),
        (AUTO, Field.ORIENTATION, "square", "sync"),
        (OFFICIAL_4S, Field.SECONDS, "5", "sync"),
    ],
)
def test_a_choice_the_menu_does_not_offer_is_refused(
    start: VideoDefaults, field: Field, value: str, mode: Mode
) -> None:
    with pytest.raises(UnavailableChoice):
        choose(start, field, value, mode)


def test_price_operator_defaults_and_storage_round_trip() -> None:
    assert AUTO.price_cents("sync") == 15
    assert THREE_AT_ONCE.price_cents("sync") == 45
    assert THREE_AT_ONCE.price_cents("async") == 15
    assert OFFICIAL_STANDARD_4K.price_cents("sync") == 120
    assert VideoDefaults.for_operator("veo-3.1-landscape") == LANDSCAPE_STANDARD
    assert VideoDefaults.for_operator("veo-3.1-fast-fl") == AUTO
    official = VideoDefaults.for_operator("veo-3.1-generate-preview")
    assert (official.channel, official.speed) == (Channel.OFFICIAL, Speed.STANDARD)
    for defaults in (AUTO, LANDSCAPE_STANDARD, THREE_AT_ONCE, OFFICIAL_4S, OFFICIAL_STANDARD_4K):
        assert VideoDefaults.from_values(defaults.to_values()) == defaults
    inconsistent = VideoDefaults(seconds=4, resolution="4k", n=3)  # e.g. written by an older menu
    assert inconsistent.normalised("sync") == VideoDefaults(n=3)
