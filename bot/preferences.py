"""The /video defaults people pick in /settings, what the menu may offer, and how they meet typed options.

Precedence for a request: typed options > the user's own defaults > the group's default > the operator's
DEFAULT_MODEL / GENERATION_MODE. A saved set of defaults is complete and consistent, so the first level
that has one is used as a whole (the operator level keeps the bot's original behaviour).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from bot.gateway.catalog import MODELS, Channel, ModelSpec, Orientation, get_model, resolve_model
from bot.gateway.request import Mode
from bot.user_errors import UserFacingError
from bot.video_options import VideoOptions
from storage import PreferenceValues

#: Resolutions that only come as 8-second clips.
EIGHT_SECOND_RESOLUTIONS: Final = frozenset({"1080p", "4k"})
FULL_LENGTH = 8


class OrientationChoice(StrEnum):
    """Portrait, landscape, or auto: the photo's orientation, else portrait."""

    AUTO = "auto"
    PORTRAIT = "portrait"
    LANDSCAPE = "landscape"

    def resolve(self, photo: Orientation | None) -> Orientation:
        """The orientation a request gets when the user typed none."""
        if self is OrientationChoice.AUTO:
            return photo or Orientation.PORTRAIT
        return Orientation(self.value)


class Speed(StrEnum):
    """The fast (cheaper) or standard model tier."""

    FAST = "fast"
    STANDARD = "standard"


class Field(StrEnum):
    """What a menu button changes; the values are short because they travel in callback data."""

    ORIENTATION = "o"
    SPEED = "s"
    CHANNEL = "c"
    SECONDS = "d"
    RESOLUTION = "r"
    COUNT = "n"


@dataclass(frozen=True)
class VideoDefaults:
    """A complete set of defaults; `normalised` makes any combination one the gateway accepts."""

    orientation: OrientationChoice = OrientationChoice.AUTO
    speed: Speed = Speed.FAST
    channel: Channel = Channel.REVERSE
    seconds: int = FULL_LENGTH
    resolution: str = "720p"
    n: int = 1

    @classmethod
    def for_operator(cls, default_model: str) -> VideoDefaults:
        """The operator's DEFAULT_MODEL as a starting point for the menu."""
        base = get_model(default_model)
        landscape = base.orientation is Orientation.LANDSCAPE
        return cls(
            orientation=OrientationChoice.LANDSCAPE if landscape else OrientationChoice.AUTO,
            speed=Speed.FAST if base.fast else Speed.STANDARD,
            channel=base.channel,
        )

    @classmethod
    def from_values(cls, values: PreferenceValues) -> VideoDefaults:
        """Defaults as the storage layer keeps them."""
        return cls(
            orientation=OrientationChoice(values.orientation),
            speed=Speed(values.speed),
            channel=Channel(values.channel),
            seconds=values.seconds,
            resolution=values.resolution,
            n=values.n,
        )

    def to_values(self) -> PreferenceValues:
        """Defaults in the storage layer's form."""
        return PreferenceValues(
            orientation=self.orientation.value,
            speed=self.speed.value,
            channel=self.channel.value,
            seconds=self.seconds,
            resolution=self.resolution,  # type: ignore[arg-type]
            n=self.n,
        )

    @property
    def fast(self) -> bool:
        """True for the fast tier."""
        return self.speed is Speed.FAST

    def model(self, *, photo: Orientation | None = None, has_images: bool = False) -> ModelSpec:
        """The model a request with these defaults and no typed options uses."""
        return resolve_model(
            channel=self.channel,
            orientation=self.orientation.resolve(photo),
            fast=self.fast,
            has_images=has_images,
        )

    def normalised(self, generation_mode: Mode) -> VideoDefaults:
        """Values the model cannot take fall back to what it can: the price of the rest never changes."""
        spec = self.model()
        seconds = self.seconds if self.seconds in spec.durations else spec.default_duration
        resolution = self.resolution if self.resolution in spec.resolutions else spec.resolutions[0]
        if resolution in EIGHT_SECOND_RESOLUTIONS:
            seconds = FULL_LENGTH
        n = self.n if self.n <= count_limit(spec, generation_mode) else 1
        return replace(self, seconds=seconds, resolution=resolution, n=n)

    def price_cents(self, generation_mode: Mode) -> int:
        """What one default request costs: the model's price per clip times the number of clips."""
        normal = self.normalised(generation_mode)
        return normal.model().price_for(normal.n)


def count_limit(spec: ModelSpec, generation_mode: Mode) -> int:
    """How many clips one request may ask for: several only from Reverse models in sync mode."""
    if spec.channel is Channel.OFFICIAL or generation_mode == "async":
        return 1
    return spec.max_n


def menu_choices(defaults: VideoDefaults, generation_mode: Mode) -> dict[Field, tuple[str, ...]]:
    """What the menu offers for these defaults: only values the selected model takes, rows with a choice."""
    spec = defaults.model()
    offered: dict[Field, tuple[str, ...]] = {
        Field.ORIENTATION: tuple(choice.value for choice in OrientationChoice),
        Field.SPEED: tuple(speed.value for speed in Speed),
        Field.CHANNEL: tuple(channel.value for channel in Channel),
    }
    if len(spec.durations) > 1:
        offered[Field.SECONDS] = tuple(str(seconds) for seconds in spec.durations)
    if len(spec.resolutions) > 1:
        offered[Field.RESOLUTION] = spec.resolutions
    limit = count_limit(spec, generation_mode)
    if limit > 1:
        offered[Field.COUNT] = tuple(str(n) for n in range(1, limit + 1))
    return offered


class UnavailableChoice(UserFacingError):
    """A button from an older menu offers a value these defaults no longer allow."""


def choose(defaults: VideoDefaults, field: Field, value: str, generation_mode: Mode) -> VideoDefaults:
    """Apply one menu choice; values the new choice does not allow are reset to ones it does.

    Picking 1080p or 4K makes the clip 8 s; picking 4 or 6 s brings a 1080p/4K resolution back to 720p.
    """
    current = defaults.normalised(generation_mode)
    if value not in menu_choices(current, generation_mode).get(field, ()):
        raise UnavailableChoice("settings-unavailable")
    if field is Field.ORIENTATION:
        chosen = replace(current, orientation=OrientationChoice(value))
    elif field is Field.SPEED:
        chosen = replace(current, speed=Speed(value))
    elif field is Field.CHANNEL:
        chosen = replace(current, channel=Channel(value))
    elif field is Field.SECONDS:
        chosen = replace(current, seconds=int(value))
        if chosen.seconds != FULL_LENGTH and chosen.resolution in EIGHT_SECOND_RESOLUTIONS:
            chosen = replace(chosen, resolution="720p")
    elif field is Field.RESOLUTION:
        chosen = replace(current, resolution=value)
    else:
        chosen = replace(current, n=int(value))
    return chosen.normalised(generation_mode)


def apply_defaults(
    options: VideoOptions,
    defaults: VideoDefaults,
    *,
    photo: Orientation | None,
    has_images: bool,
    generation_mode: Mode,
) -> VideoOptions:
    """Fill in what the user did not type, from saved defaults; what they typed always wins.

    The result always names a model. A typed --model ignores the saved channel and speed, and then the
    saved length, resolution and count apply only when that model is of the saved channel. A saved value
    that clashes with a typed one (saved 4 s with typed --resolution 4k) is left out; nothing here ever
    switches the channel, so an impossible typed combination still fails validation instead of costing more.
    """
    defaults = defaults.normalised(generation_mode)
    orientation = options.orientation or defaults.orientation.resolve(photo)
    if options.model is not None:
        typed = MODELS.get(options.model)
        channel = typed.channel if typed is not None else None
        model = options.model
    else:
        fast = defaults.fast if options.fast is None else options.fast
        spec = resolve_model(
            channel=defaults.channel, orientation=orientation, fast=fast, has_images=has_images
        )
        channel, model = spec.channel, spec.id
    merged = replace(options, model=model, orientation=orientation)
    if channel is not defaults.channel:
        return merged
    seconds, resolution = options.seconds, options.resolution
    if defaults.channel is Channel.OFFICIAL:
        if resolution is None and not _too_short_for(defaults.resolution, seconds):
            resolution = defaults.resolution
        if seconds is None and not _too_short_for(resolution, defaults.seconds):
            seconds = defaults.seconds
    n = options.n if options.n is not None else defaults.n
    return replace(merged, seconds=seconds, resolution=resolution, n=n)


def _too_short_for(resolution: str | None, seconds: int | None) -> bool:
    """True when a clip of `seconds` cannot have `resolution` (1080p and 4K are 8 s only)."""
    return resolution in EIGHT_SECOND_RESOLUTIONS and seconds is not None and seconds != FULL_LENGTH
