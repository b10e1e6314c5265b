"""The one catalog of user-visible text: Fluent files under bot/locales/<lang>/*.ftl."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from fluent.runtime import FluentBundle, FluentResource

logger = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "en"
SUPPORTED_LANGUAGES = ("en", "zh")


class Translate(Protocol):
    """Formats a Fluent key in the reader's language, e.g. `functools.partial(translator, "zh")`."""

    def __call__(self, key: str, /, **args: object) -> str: ...


class Translator:
    """Formats messages by key for a language, falling back to English."""

    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._bundles: dict[str, FluentBundle] = {}
        for language in SUPPORTED_LANGUAGES:
            folder = locales_dir / language
            # Placeables are not wrapped in Unicode isolation marks: they would show up in Telegram.
            bundle = FluentBundle([language], use_isolating=False)
            for path in sorted(folder.glob("*.ftl")):
                bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
            self._bundles[language] = bundle

    def language_for(self, code: str | None) -> str:
        """Map a Telegram `language_code` (e.g. "zh-hans", "en-US") to a supported language."""
        if code:
            base = code.lower().split("-")[0]
            if base in self._bundles:
                return base
        return DEFAULT_LANGUAGE

    def has(self, language: str, key: str) -> bool:
        """True when the key exists in that language or in English."""
        return any(
            bundle.has_message(key)
            for bundle in (self._bundles.get(language), self._bundles[DEFAULT_LANGUAGE])
            if bundle is not None
        )

    def __call__(self, language: str, key: str, **args: object) -> str:
        """Format `key`; a missing key is logged and shown as the key itself, never a crash."""
        for bundle in (self._bundles.get(language), self._bundles[DEFAULT_LANGUAGE]):
            if bundle is not None and bundle.has_message(key):
                message = bundle.get_message(key)
                if message.value is None:
                    continue
                text, errors = bundle.format_pattern(message.value, args)
                if errors:
                    logger.warning("Problems formatting %s/%s: %s", language, key, errors)
                return str(text)
        logger.error("Missing text %s/%s", language, key)
        return key
