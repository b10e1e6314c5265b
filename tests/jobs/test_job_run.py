"""Where a job's answers go."""

from __future__ import annotations

import pytest

from bot.jobs.delivery import Destination
from bot.jobs.job_run import destination_of
from tests.jobs.support import stored_job

# -- destination_of ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chat_type", "chat_is_group"), [("private", False), ("group", True), ("supergroup", True)]
)
def test_answers_go_to_the_job_chat_topic_and_message(chat_type: str, chat_is_group: bool) -> None:
    job = stored_job(chat_id=-100123, chat_type=chat_type, thread_id=55, user_message_id=9)
    destination = destination_of(job)
    assert destination == Destination(-100123, 55, 9, chat_is_group)
    parameters = destination.reply_parameters
    assert parameters is not None
    assert parameters.message_id == 9
    assert parameters.allow_sending_without_reply  # the request may have been deleted meanwhile
