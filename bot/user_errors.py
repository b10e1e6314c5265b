"""The base of every error a user caused or can fix: a text key and its arguments, safe to show."""

from __future__ import annotations

import html

from bot.i18n import Translator


class UserFacingError(Exception):
    """A problem to explain to the user in their language; `key` names the text, `arguments` fill it.

    Subclasses say where the problem comes from (OptionError, ImageProblem, FollowUpProblem, ...), so
    handlers catch this one type and answer with `text`.
    """

    def __init__(self, key: str, **arguments: object) -> None:
        # BaseException keeps (key,) as its args, so copying and pickling rebuild the error.
        super().__init__(key)
        self.key = key
        #: As raised: strings may quote what the user typed or sent (an option, a file name).
        self.arguments = dict(arguments)

    def text(self, texts: Translator, language: str) -> str:
        """The message for an HTML reply: string arguments are escaped here, once; numbers stay numbers."""
        safe = {
            name: html.escape(value) if isinstance(value, str) else value
            for name, value in self.arguments.items()
        }
        return texts(language, self.key, **safe)
