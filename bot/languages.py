"""Which language to speak with each user: their explicit /language choice, else Telegram's language."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from bot.i18n import SUPPORTED_LANGUAGES, Translator
from storage import UserStore

logger = logging.getLogger(__name__)


class LanguageChoices:
    """Users' explicit language choices, read once at start and kept in memory; choices are stored first."""

    def __init__(self, users: UserStore, texts: Translator, overrides: Mapping[int, str]) -> None:
        self._users = users
        self._texts = texts
        self._overrides = dict(overrides)
        # Serialises choices, so the database and the memory copy always end on the same answer.
        self._lock = asyncio.Lock()

    @classmethod
    async def load(cls, users: UserStore, texts: Translator) -> LanguageChoices:
        """Read every stored choice; a language the bot no longer speaks is ignored."""
        stored = await users.language_overrides()
        overrides = {user: lang for user, lang in stored.items() if lang in SUPPORTED_LANGUAGES}
        if len(overrides) < len(stored):
            logger.warning("Ignoring %d unsupported language choice(s)", len(stored) - len(overrides))
        logger.info("Loaded %d language choice(s)", len(overrides))
        return cls(users, texts, overrides)

    def override_of(self, user_id: int) -> str | None:
        """The language the user chose with /language, or None when they follow Telegram's."""
        return self._overrides.get(user_id)

    def language_for(self, user_id: int | None, telegram_code: str | None) -> str:
        """The user's choice if any, else their Telegram language when we speak it, else English."""
        if user_id is not None and (chosen := self._overrides.get(user_id)) is not None:
            return chosen
        return self._texts.language_for(telegram_code)

    async def choose(self, user_id: int, language: str | None) -> None:
        """Store the user's choice (None: follow Telegram's language again), then use it at once."""
        if language is not None and language not in SUPPORTED_LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        async with self._lock:
            await self._users.set_user_language(user_id, language)
            if language is None:
                self._overrides.pop(user_id, None)
            else:
                self._overrides[user_id] = language
        logger.info("User %s language choice: %s", user_id, language or "automatic")
