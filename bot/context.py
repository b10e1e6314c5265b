"""Typed PTB context: handlers reach the services through `context.services`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

if TYPE_CHECKING:
    from bot.services import Services
    from bot.settings import Settings


class BotData:
    """The application's bot_data: settings from start-up, services once post_init ran."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.services: Services | None = None


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """CallbackContext with a typed shortcut to the services."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def services(self) -> Services:
        """The running services (created in post_init)."""
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are not started")
        return services
