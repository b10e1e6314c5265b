"""The buttons under a delivered video: their callback data (`fu:<action>:<job id>[:<count>]`, at most
Telegram's 64 bytes), which models continue a clip, and which buttons a video gets at which price."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from telegram.constants import InlineKeyboardButtonLimit

from bot.gateway.catalog import MODELS, get_model
from bot.i18n import Translator
from bot.jobs.followups import FollowUp, can_vary, continuation_model, decode, followup_keyboard

JOB_ID = "0123456789"  # what the ledger makes: 10 hex characters
MAX_BYTES = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)  # 64

# -- the codec --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("follow_up", "data"),
    [
        (FollowUp("again", JOB_ID), "fu:again:0123456789"),
        (FollowUp("continue", JOB_ID), "fu:continue:0123456789"),
        (FollowUp("stitch", JOB_ID), "fu:stitch:0123456789"),
        (FollowUp("vary", JOB_ID, 3), "fu:vary:0123456789:3"),
    ],
)
def test_buttons_encode_and_decode_back(follow_up: FollowUp, data: str) -> None:
    assert follow_up.encode() == data
    assert decode(data) == follow_up


def test_callback_data_may_use_all_64_bytes_and_not_one_more() -> None:
    fits = FollowUp("again", "x" * (MAX_BYTES - len("fu:again:")))
    assert len(fits.encode()) == MAX_BYTES
    assert decode(fits.encode()) == fits
    with pytest.raises(ValueError):
        FollowUp("again", "x" * (MAX_BYTES - len("fu:again:") + 1)).encode()


def test_the_limit_counts_bytes_not_characters() -> None:
    # 28 two-byte characters: 37 characters in all, but 65 bytes.
    with pytest.raises(ValueError):
        FollowUp("again", "é" * 28).encode()


@pytest.mark.parametrize(
    "data",
    [
        "",
        "fu:",
        "fu:again",
        "fu:again:",  # no job id
        "fu::0123456789",
        "fu:delete:0123456789",  # not an action the bot has
        "FU:again:0123456789",
        "xfu:again:0123456789",
        "fu:vary:0123456789:",
        "fu:vary:0123456789:x",
        "fu:vary:0123456789:-1",
        "fu:vary:0123456789:٣",  # an Arabic-Indic three: int() would take it
        "fu:vary:0123456789:²",  # isdigit() is True, int() raises
        "fu:vary:0123456789:2:3",
        "fu:" + ":" * 100,
        "set:u:42:done",  # another menu's button
        "lang:en",
    ],
)
def test_anything_else_decodes_to_none(data: str) -> None:
    assert decode(data) is None


# -- which models vary and continue -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "mode", "varies"),
    [
        ("veo-3.1-fast", "sync", True),
        ("veo-3.1-landscape", "sync", True),
        ("veo-3.1-fast", "async", False),  # several videos per request only in a stream
        ("veo-3.1-fast-generate-preview", "async", False),  # Official makes one at a time
        ("veo-3.1-generate-preview", "sync", False),
    ],
)
def test_only_reverse_models_in_streaming_mode_make_variations(model: str, mode: str, varies: bool) -> None:
    assert can_vary(get_model(model), mode) is varies


CONTINUED_BY = {
    "veo-3.1": "veo-3.1-fl",
    "veo-3.1-fl": "veo-3.1-fl",
    "veo-3.1-fast": "veo-3.1-fast-fl",
    "veo-3.1-fast-fl": "veo-3.1-fast-fl",
    "veo-3.1-landscape": "veo-3.1-landscape-fl",
    "veo-3.1-landscape-fl": "veo-3.1-landscape-fl",
    "veo-3.1-landscape-fast": "veo-3.1-landscape-fast-fl",
    "veo-3.1-landscape-fast-fl": "veo-3.1-landscape-fast-fl",
    # Official models take a start image themselves.
    "veo-3.1-generate-preview": "veo-3.1-generate-preview",
    "veo-3.1-fast-generate-preview": "veo-3.1-fast-generate-preview",
}


def test_the_table_covers_every_model() -> None:
    assert set(CONTINUED_BY) == set(MODELS)


@pytest.mark.parametrize(("model", "continued_by"), CONTINUED_BY.items())
def test_a_clip_is_continued_by_the_frame_model_of_its_orientation_and_speed(
    model: str, continued_by: str
) -> None:
    assert continuation_model(get_model(model)).id == continued_by


# -- the keyboard -----------------------------------------------------------------------------------


def keyboard(**kwargs: Any) -> list[list[tuple[str, FollowUp | None]]]:
    """The keyboard's rows as (label, decoded callback data), in English."""
    values: dict[str, Any] = {"job_id": JOB_ID, "n": 1, "chain_length": 1} | kwargs
    markup = followup_keyboard(translate=functools.partial(Translator(), "en"), **values)
    rows = []
    for row in markup.inline_keyboard:
        for button in row:
            assert isinstance(button.callback_data, str)
            assert len(button.callback_data.encode()) <= MAX_BYTES
        rows.append([(button.text, decode(str(button.callback_data))) for button in row])
    return rows


AGAIN = FollowUp("again", JOB_ID)
CONTINUE = FollowUp("continue", JOB_ID)


def test_a_streamed_reverse_clip_offers_again_continue_and_variations_with_prices() -> None:
    # veo-3.1-fast and veo-3.1-fast-fl cost 15 cents a clip; every variation is billed.
    assert keyboard(model="veo-3.1-fast", mode="sync") == [
        [("🔁 Again · $0.15", AGAIN), ("➡️ Continue · $0.15", CONTINUE)],
        [
            ("🎲 ×2 · $0.30", FollowUp("vary", JOB_ID, 2)),
            ("🎲 ×3 · $0.45", FollowUp("vary", JOB_ID, 3)),
            ("🎲 ×4 · $0.60", FollowUp("vary", JOB_ID, 4)),
        ],
    ]


def test_again_costs_as_many_clips_as_the_job_made() -> None:
    rows = keyboard(model="veo-3.1-landscape", mode="sync", n=3)  # 25 cents a clip
    assert rows[0] == [("🔁 Again · $0.75", AGAIN), ("➡️ Continue · $0.25", CONTINUE)]


def test_official_clips_have_no_variations() -> None:
    assert keyboard(model="veo-3.1-generate-preview", mode="async") == [
        [("🔁 Again · $1.20", AGAIN), ("➡️ Continue · $1.20", CONTINUE)],
    ]


def test_a_continued_clip_offers_stitching_its_chain() -> None:
    rows = keyboard(model="veo-3.1-fast-fl", mode="sync", chain_length=3)
    assert rows[-1] == [("🧵 Stitch 3 clips · free", FollowUp("stitch", JOB_ID))]
    assert len(rows) == 3  # again/continue, variations, stitch


def test_a_longer_chained_video_has_no_variations() -> None:
    assert keyboard(model="veo-3.1-fast", mode="sync", chained=True) == [
        [("🔁 Again · $0.15", AGAIN), ("➡️ Continue · $0.15", CONTINUE)],
    ]
