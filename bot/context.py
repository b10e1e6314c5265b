"""Typed PTB context: the services, and who is asking in which language, for every handler."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram import Update, User
from telegram.ext import Application, CallbackContext, ExtBot

if TYPE_CHECKING:
    from bot.services import Services
    from bot.settings import Settings
    from bot.user_errors import UserFacingError


class BotData:
    """The application's bot_data: settings from start-up, services once post_init ran."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.services: Services | None = None


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """CallbackContext with typed shortcuts to the services and the asking user's language."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        #: The update's effective user, kept by from_update (PTB's context keeps only the user's id).
        self._user: User | None = None

    @classmethod
    def from_update(
        cls, update: object, application: Application[Any, BotContext, Any, Any, Any, Any]
    ) -> BotContext:
        """PTB's context for the update, remembering who sent it (as in PTB's contexttypesbot.py)."""
        context = super().from_update(update, application)
        if isinstance(update, Update):
            context._user = update.effective_user
        return context

    @property
    def services(self) -> Services:
        """The running services (created in post_init)."""
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are not started")
        return services

    @property
    def language(self) -> str:
        """The user's /language choice, else their Telegram language when we speak it, else English."""
        user = self._user
        if user is None:
            return self.services.texts.language_for(None)
        return self.services.languages.language_for(user.id, user.language_code)

    def t(self, key: str, /, **args: object) -> str:
        """The text `key` in the asking user's language (read at each call: /language may change it)."""
        return self.services.texts(self.language, key, **args)

    def explain(self, problem: UserFacingError) -> str:
        """What to answer the asking user about `problem`, ready for an HTML reply."""
        return problem.text(self.services.texts, self.language)
