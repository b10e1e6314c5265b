"""UserFacingError: one key, its arguments, and one place that escapes them for an HTML reply."""

from __future__ import annotations

import copy
import pickle

from bot.frame_fetcher import ImageProblem
from bot.i18n import Translator
from bot.jobs.followup_actions import FollowUpProblem
from bot.preferences import UnavailableChoice
from bot.user_errors import UserFacingError
from bot.video_options import OptionError


def test_every_user_problem_is_one_type() -> None:
    for problem_class in (OptionError, ImageProblem, FollowUpProblem, UnavailableChoice):
        assert issubclass(problem_class, UserFacingError)


def test_text_escapes_string_arguments_once() -> None:
    texts = Translator()
    problem = OptionError("option-bad-value", option="--seconds", value='5 & <i>"x"</i>', allowed="4, 6, 8")
    text = problem.text(texts, "en")
    assert text == "--seconds does not accept “5 &amp; &lt;i&gt;&quot;x&quot;&lt;/i&gt;”. Allowed: 4, 6, 8."
    assert problem.arguments["value"] == '5 & <i>"x"</i>'  # kept as raised: escaped only when rendered
    assert problem.text(texts, "en") == text  # rendering twice does not escape twice


def test_numbers_stay_numbers_so_plural_forms_still_work() -> None:
    texts = Translator()
    one = UserFacingError("cancel-done", count=1).text(texts, "en")
    three = UserFacingError("cancel-done", count=3).text(texts, "en")
    assert one == texts("en", "cancel-done", count=1)
    assert three == texts("en", "cancel-done", count=3)
    assert one != three


def test_the_text_is_in_the_asked_language_and_falls_back_to_english() -> None:
    texts = Translator()
    problem = FollowUpProblem("followup-no-video")
    assert problem.text(texts, "en") == "That video is no longer available to build on."
    assert problem.text(texts, "zh") != problem.text(texts, "en")
    assert problem.text(texts, "fr") == problem.text(texts, "en")


def test_a_problem_survives_copy_and_pickle() -> None:
    problem = ImageProblem("file-too-large", size="25", limit="20")
    for clone in (copy.copy(problem), pickle.loads(pickle.dumps(problem))):
        assert isinstance(clone, ImageProblem)
        assert clone.key == "file-too-large"
        assert clone.arguments == {"size": "25", "limit": "20"}
        assert str(clone) == "file-too-large"
