"""The one component that edits status messages: newest text wins, final state always written.

How often it may edit is not its own decision: each edit waits for its turn from the TelegramPacer
(progress edits only from what a chat's budget has left, final states before them)."""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.pacing.pacer import Priority, TelegramPacer, Turn

logger = logging.getLogger(__name__)

MAX_FINAL_ATTEMPTS = 6  # network failures tolerated while writing a final state (about 30 s of backoff)
MAX_FINAL_FLOOD_WAITS = 20  # RetryAfter answers tolerated while writing a final state
MAX_REMEMBERED_CLOSED = 4096  # finished or vanished messages remembered so late updates stay ignored
STOP_TIMEOUT = 10.0

# Substrings of Telegram's error descriptions, compared in lower case.
_NOT_MODIFIED = "message is not modified"
_GONE = (
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
    "chat not found",
    "have no rights to send a message",
)


@dataclass(frozen=True)
class _Content:
    text: str
    reply_markup: InlineKeyboardMarkup | None


@dataclass(eq=False)
class _Slot:
    """One status message: what it shows, what it should show next, and who waits for its final state."""

    message_id: int
    pending: _Content | None = None
    shown: _Content | None = None
    final: _Content | None = None
    waiters: list[asyncio.Future[bool]] = field(default_factory=list)
    in_flight: _Content | None = None  # the text of the edit on its way, if any
    not_before: float = -math.inf  # backoff after a network error
    failures: int = 0
    flood_waits: int = 0

    @property
    def has_work(self) -> bool:
        return self.final is not None or self.pending is not None


@dataclass(eq=False)
class _Chat:
    """The messages of one chat and the single worker task that writes them."""

    chat_id: int
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # something changed
    urgent: asyncio.Event = field(default_factory=asyncio.Event)  # a final state arrived
    slots: dict[int, _Slot] = field(default_factory=dict)  # insertion order is the round-robin order
    worker: asyncio.Task[None] | None = None


class StatusBoard:
    """Writes the newest text of each status message in the turns the pacer gives, one worker per chat.

    Every message given to `update` must eventually be given to `finish` or `forget`.
    """

    def __init__(
        self,
        bot: Bot,
        pacer: TelegramPacer,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        stop_timeout: float = STOP_TIMEOUT,
    ) -> None:
        self._bot = bot
        self._pacer = pacer
        self._clock = clock
        self._sleep = sleep
        self._stop_timeout = stop_timeout
        self._chats: dict[int, _Chat] = {}
        # Messages the board is done with, and whether each one is gone (deleted, not editable, forgotten).
        self._closed: OrderedDict[tuple[int, int], bool] = OrderedDict()
        self._started = False
        self._running = False

    async def start(self) -> None:
        """Accept updates from now on."""
        self._started = self._running = True

    async def stop(self) -> None:
        """Write the pending final states (within `stop_timeout`), drop other updates, end every worker."""
        self._running = False
        for chat in self._chats.values():
            for slot in chat.slots.values():
                slot.pending = None
            chat.wake.set()
            chat.urgent.set()
        workers = [chat.worker for chat in self._chats.values() if chat.worker is not None]
        if workers:
            _, late = await asyncio.wait(workers, timeout=self._stop_timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for chat in self._chats.values():
            for slot in chat.slots.values():
                _resolve(slot, False)
        self._chats.clear()

    def update(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Ask for `text` to be shown soon; only the newest text of a message matters."""
        if not self._accepting() or (chat_id, message_id) in self._closed:
            return
        chat = self._chat(chat_id)
        slot = chat.slots.get(message_id)
        if slot is None:
            slot = chat.slots[message_id] = _Slot(message_id)
        if slot.final is not None:
            return
        content = _Content(text, reply_markup)
        if content == (slot.in_flight if slot.in_flight is not None else slot.shown):
            slot.pending = None  # what is (about to be) shown is already the newest text
            return
        slot.pending = content
        self._kick(chat)

    async def finish(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> bool:
        """Write the final state and wait for it; False when it could not be shown (e.g. message gone)."""
        slot = self._final_slot(chat_id, message_id, text, reply_markup)
        if slot is None:
            return False
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        slot.waiters.append(waiter)
        return await asyncio.shield(waiter)

    def _final_slot(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        reply_markup: InlineKeyboardMarkup | None,
    ) -> _Slot | None:
        if not self._accepting() or self._closed.get((chat_id, message_id)):
            return None
        self._closed.pop((chat_id, message_id), None)  # a finished message may get another final state
        chat = self._chat(chat_id)
        slot = chat.slots.get(message_id)
        if slot is None:
            slot = chat.slots[message_id] = _Slot(message_id)
        slot.final = _Content(text, reply_markup)
        slot.pending = None
        chat.urgent.set()
        self._kick(chat)
        return slot

    def is_gone(self, chat_id: int, message_id: int) -> bool:
        """True once the message was found deleted or not editable (or was forgotten)."""
        return bool(self._closed.get((chat_id, message_id)))

    def forget(self, chat_id: int, message_id: int) -> None:
        """Stop caring about a message (e.g. it was deleted); a waiting finish() returns False."""
        self._remember_closed(chat_id, message_id, gone=True)
        chat = self._chats.get(chat_id)
        if chat is None:
            return
        slot = chat.slots.pop(message_id, None)
        if slot is not None:
            _resolve(slot, False)
        chat.wake.set()

    def _accepting(self) -> bool:
        """True while running; False once stopped; an error before start(), which is a wiring mistake."""
        if not self._started:
            raise RuntimeError("StatusBoard.start() must be awaited before use")
        return self._running

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat(chat_id)
        return chat

    def _kick(self, chat: _Chat) -> None:
        """Make sure the chat's worker runs and looks at the new state."""
        chat.wake.set()
        if chat.worker is None:
            chat.worker = asyncio.get_running_loop().create_task(
                self._work(chat), name=f"status-board-{chat.chat_id}"
            )

    def _remember_closed(self, chat_id: int, message_id: int, *, gone: bool) -> None:
        self._closed[(chat_id, message_id)] = gone
        self._closed.move_to_end((chat_id, message_id))
        while len(self._closed) > MAX_REMEMBERED_CLOSED:
            self._closed.popitem(last=False)

    async def _work(self, chat: _Chat) -> None:
        """Write the chat's messages until nothing is pending, then end."""
        try:
            while (choice := self._next(chat)) is not None:
                slot, ready_at = choice
                delay = ready_at - self._clock()
                if delay > 0:
                    await self._pause(chat, delay)
                    continue
                turn = await self._turn(chat, Priority.FINAL if slot.final is not None else Priority.PROGRESS)
                if turn is None:
                    continue  # a final state arrived meanwhile: choose again
                try:
                    slot, _ = self._next(chat) or (slot, 0.0)  # the newest choice, now that it is our turn
                    await self._write(chat, slot, turn)
                finally:
                    self._pacer.release(turn)
        finally:
            chat.worker = None
            if not chat.slots and self._chats.get(chat.chat_id) is chat:
                del self._chats[chat.chat_id]

    def _next(self, chat: _Chat) -> tuple[_Slot, float] | None:
        """The message to write next and when it may be written: finals first, then round-robin."""
        candidates: list[tuple[_Slot, float]] = []
        for slot in list(chat.slots.values()):
            if slot.final is None and slot.pending is not None and slot.pending == slot.shown:
                slot.pending = None  # already shown: nothing to send
            if slot.final is not None and slot.final == slot.shown:
                self._close(chat, slot, shown=True)
            elif slot.has_work:
                candidates.append((slot, self._ready_at(chat, slot)))
        if not candidates:
            return None
        now = self._clock()
        ready = [candidate for candidate in candidates if candidate[1] <= now]
        if ready:
            # `chat.slots` keeps the message written last at the end: the first ready one is next in turn.
            return next((c for c in ready if c[0].final is not None), ready[0])
        return min(candidates, key=lambda c: (c[1], c[0].final is None))

    async def _turn(self, chat: _Chat, priority: Priority) -> Turn | None:
        """Wait for the pacer's turn; None when a final state arrives first (a progress turn is given up)."""
        chat.urgent.clear()
        acquiring = asyncio.ensure_future(self._pacer.acquire(chat.chat_id, priority))
        if priority is Priority.FINAL:
            return await acquiring
        urgent = asyncio.ensure_future(chat.urgent.wait())
        try:
            await asyncio.wait((acquiring, urgent), return_when=asyncio.FIRST_COMPLETED)
        finally:
            urgent.cancel()
            if not acquiring.done():
                acquiring.cancel()
            await asyncio.gather(acquiring, urgent, return_exceptions=True)
        if acquiring.cancelled() or acquiring.exception() is not None:
            return None
        turn = acquiring.result()
        if chat.urgent.is_set():
            self._pacer.release(turn)  # unused: the final state takes a turn of its own
            return None
        return turn

    @staticmethod
    def _ready_at(chat: _Chat, slot: _Slot) -> float:
        return slot.not_before

    async def _pause(self, chat: _Chat, delay: float) -> None:
        """Sleep `delay` seconds, or less if an update or finish arrives meanwhile."""
        chat.wake.clear()
        sleeper = asyncio.ensure_future(self._sleep(delay))
        woken = asyncio.ensure_future(chat.wake.wait())
        try:
            await asyncio.wait((sleeper, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            woken.cancel()
            await asyncio.gather(sleeper, woken, return_exceptions=True)

    async def _write(self, chat: _Chat, slot: _Slot, turn: Turn) -> None:
        """One edit attempt for `slot`, and what its outcome means for the slot and the chat."""
        try:
            await self._attempt(chat, slot, turn)
        finally:
            slot.in_flight = None

    async def _attempt(self, chat: _Chat, slot: _Slot, turn: Turn) -> None:
        is_final = slot.final is not None
        content = slot.final if slot.final is not None else slot.pending
        if content is None:
            return
        if not is_final:
            slot.pending = None
        # Round-robin: the message just written goes to the back of the line.
        chat.slots[slot.message_id] = chat.slots.pop(slot.message_id)
        slot.in_flight = content
        try:
            await self._bot.edit_message_text(  # type: ignore[call-arg]
                chat_id=chat.chat_id,
                message_id=slot.message_id,
                text=content.text,
                parse_mode=ParseMode.HTML,
                reply_markup=content.reply_markup,
                rate_limit_args=turn,
            )
        except RetryAfter:
            # The pacer has paused the chat until Telegram's deadline; the next turn comes after it.
            if self._owns(chat, slot):
                self._retry(chat, slot, content, flood=True)
            return
        except BadRequest as err:
            if _NOT_MODIFIED in err.message.lower():
                self._shown(chat, slot, content)
            elif _is_gone(err):
                logger.info("Status message %s/%s is gone: %s", chat.chat_id, slot.message_id, err.message)
                self._close(chat, slot, shown=False, gone=True)
            else:
                # The description never contains the text; the text may contain private prompts.
                logger.warning(
                    "Edit of %s/%s refused, dropped: %s", chat.chat_id, slot.message_id, err.message
                )
                if slot.final == content:
                    self._close(chat, slot, shown=False)
            return
        except Forbidden as err:
            logger.info("Cannot edit in chat %s any more: %s", chat.chat_id, err.message)
            self._close(chat, slot, shown=False, gone=True)
            return
        except NetworkError as err:  # includes TimedOut
            logger.info("Edit of %s/%s failed: %s", chat.chat_id, slot.message_id, err.message)
            if is_final and self._owns(chat, slot):
                self._retry(chat, slot, content, flood=False)
            return
        except TelegramError as err:
            logger.warning("Edit of %s/%s failed, dropped: %s", chat.chat_id, slot.message_id, err.message)
            if slot.final == content:
                self._close(chat, slot, shown=False)
            return
        self._shown(chat, slot, content)

    def _owns(self, chat: _Chat, slot: _Slot) -> bool:
        """False when the slot was forgotten while its edit was on the way."""
        return chat.slots.get(slot.message_id) is slot

    def _shown(self, chat: _Chat, slot: _Slot, content: _Content) -> None:
        slot.shown = content
        slot.failures = slot.flood_waits = 0
        if slot.final == content:
            self._close(chat, slot, shown=True)

    def _retry(self, chat: _Chat, slot: _Slot, content: _Content, *, flood: bool) -> None:
        """Retry a final state later (up to a limit); an update is only kept for after flood control."""
        if slot.final is None:
            if slot.pending is None and flood:
                slot.pending = content  # nothing newer arrived: show this once the chat may be edited
            return
        if flood:
            slot.flood_waits += 1
            if slot.flood_waits > MAX_FINAL_FLOOD_WAITS:
                logger.warning(
                    "Giving up on final state of %s/%s: flood control", chat.chat_id, slot.message_id
                )
                self._close(chat, slot, shown=False)
            return
        slot.failures += 1
        if slot.failures >= MAX_FINAL_ATTEMPTS:
            logger.warning("Giving up on final state of %s/%s: network errors", chat.chat_id, slot.message_id)
            self._close(chat, slot, shown=False)
            return
        slot.not_before = self._clock() + _backoff(slot.failures)

    def _close(self, chat: _Chat, slot: _Slot, *, shown: bool, gone: bool = False) -> None:
        """The board is done with the message: release its waiters and ignore later updates."""
        if self._owns(chat, slot):
            del chat.slots[slot.message_id]
        self._remember_closed(chat.chat_id, slot.message_id, gone=gone)
        _resolve(slot, shown)


def _resolve(slot: _Slot, shown: bool) -> None:
    for waiter in slot.waiters:
        if not waiter.done():
            waiter.set_result(shown)
    slot.waiters.clear()


def _is_gone(err: BadRequest) -> bool:
    message = err.message.lower()
    return any(marker in message for marker in _GONE)


def _backoff(failures: int) -> float:
    """0.5 s, 1 s, 2 s ... capped at 8 s, with jitter so retries of many chats spread out."""
    return min(0.5 * 2.0 ** (failures - 1), 8.0) * random.uniform(0.8, 1.2)
