"""The buttons under a delivered video (Again, Continue, ×N variations, Stitch) and their callback data.

Callback data is self-contained (`fu:<action>:<job id>[:<count>]`, well under Telegram's 64 bytes), so a
button keeps working after a restart: everything else is read from the job ledger when it is tapped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit

from bot.gateway.catalog import Channel, ModelSpec, Orientation, get_model, resolve_model
from bot.i18n import Translate
from bot.jobs.money import format_usd
from bot.video_options import is_ascii_number

Action = Literal["again", "vary", "continue", "stitch"]
CALLBACK_PREFIX = "fu:"
VARIATION_COUNTS = (2, 3, 4)


@dataclass(frozen=True)
class FollowUp:
    """A tapped follow-up button: what to do, with which job, and for "vary" how many videos."""

    action: Action
    job_id: str
    count: int | None = None

    def encode(self) -> str:
        """The callback data for this button."""
        data = f"{CALLBACK_PREFIX}{self.action}:{self.job_id}"
        if self.count is not None:
            data += f":{self.count}"
        if len(data.encode()) > InlineKeyboardButtonLimit.MAX_CALLBACK_DATA:
            raise ValueError("callback data too long")
        return data


def decode(data: str) -> FollowUp | None:
    """Parse callback data made by `FollowUp.encode`; None for anything else."""
    if not data.startswith(CALLBACK_PREFIX):
        return None
    parts = data.removeprefix(CALLBACK_PREFIX).split(":")
    if len(parts) not in (2, 3) or parts[0] not in get_args(Action) or not parts[1]:
        return None
    count = None
    if len(parts) == 3:
        if not is_ascii_number(parts[2]):
            return None
        count = int(parts[2])
    return FollowUp(parts[0], parts[1], count)  # type: ignore[arg-type]


def can_vary(spec: ModelSpec, mode: str) -> bool:
    """Several videos per request exist only on Reverse models in streaming mode."""
    return spec.max_n > 1 and mode == "sync"


def continuation_model(spec: ModelSpec) -> ModelSpec:
    """The model that continues a clip from its last frame: the `-fl` sibling, or Official itself."""
    if spec.channel is Channel.OFFICIAL:
        return spec
    return resolve_model(
        channel=Channel.REVERSE,
        orientation=spec.orientation or Orientation.PORTRAIT,
        fast=spec.fast,
        has_images=True,
    )


def followup_keyboard(
    *,
    job_id: str,
    model: str,
    mode: str,
    n: int,
    chain_length: int,
    translate: Translate,
    chained: bool = False,
) -> InlineKeyboardMarkup:
    """The buttons under a delivered video, each with its price."""
    spec = get_model(model)
    follow_on = continuation_model(spec)
    rows = [
        [
            _button(
                translate("followup-again", price=format_usd(spec.price_for(n))), FollowUp("again", job_id)
            ),
            _button(
                translate("followup-continue", price=format_usd(follow_on.price_cents)),
                FollowUp("continue", job_id),
            ),
        ]
    ]
    if can_vary(spec, mode) and not chained:
        rows.append(
            [
                _button(
                    translate("followup-vary-count", count=count, price=format_usd(spec.price_for(count))),
                    FollowUp("vary", job_id, count),
                )
                for count in VARIATION_COUNTS
                if count <= spec.max_n
            ]
        )
    if chain_length > 1:
        rows.append([_button(translate("followup-stitch", clips=chain_length), FollowUp("stitch", job_id))])
    return InlineKeyboardMarkup(rows)


def _button(text: str, follow_up: FollowUp) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=follow_up.encode())
