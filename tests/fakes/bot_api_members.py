"""getChatMember and getChatAdministrators: who is the creator or an administrator of a fake chat."""

from __future__ import annotations

from typing import Any

from tests.fakes.bot_api_calls import CallContext
from tests.fakes.bot_api_model import FakeUser
from tests.fakes.bot_api_spec import bad_request
from tests.fakes.bot_api_state import BotState, MemberStatus

ADMIN_STATUSES: frozenset[MemberStatus] = frozenset({"creator", "administrator"})
# What an administrator made in the Telegram app may do by default (every required field of the type).
_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}


def chat_member(user: FakeUser, status: MemberStatus) -> dict[str, Any]:
    """The ChatMember object for a user with that status."""
    member: dict[str, Any] = {"status": status, "user": user.to_dict()}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(_ADMIN_RIGHTS)
    return member


class ChatMembers:
    """Answers membership questions from the statuses kept in the shared state."""

    def __init__(self, state: BotState) -> None:
        self._state = state

    def _user(self, user_id: int) -> FakeUser:
        if user_id == self._state.bot.id:
            return self._state.bot
        user = self._state.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        return user

    async def get_chat_member(self, call: CallContext) -> dict[str, Any]:
        """getChatMember: known users are members unless the test made them something else."""
        chat = self._state.resolve_chat(call.params["chat_id"])
        user = self._user(call.params["user_id"])
        return chat_member(user, self._state.member_status(chat.id, user.id))

    async def get_chat_administrators(self, call: CallContext) -> list[dict[str, Any]]:
        """getChatAdministrators: the creator and administrators (other bots only with return_bots)."""
        chat = self._state.resolve_chat(call.params["chat_id"])
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = []
        for (chat_id, user_id), status in sorted(self._state.member_statuses.items()):
            if chat_id != chat.id or status not in ADMIN_STATUSES:
                continue
            user = self._user(user_id)
            if user.is_bot and user.id != self._state.bot.id and not call.params.get("return_bots"):
                continue
            admins.append(chat_member(user, status))
        return admins
