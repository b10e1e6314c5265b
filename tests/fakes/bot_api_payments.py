"""Payments in Telegram Stars: sendInvoice, answerPreCheckoutQuery, refundStarPayment and the buyer's side.

Written from the Bot API reference: Stars invoices use currency XTR, exactly one price, an empty provider
token and a 1-128 byte payload; a pre-checkout query must be answered within 10 seconds, or the payment
fails; a charge can be refunded once (CHARGE_ALREADY_REFUNDED after that).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.bot_api_calls import CallContext
from tests.fakes.bot_api_model import FakeChat, FakeUser
from tests.fakes.bot_api_sending import MessageSender
from tests.fakes.bot_api_spec import bad_request
from tests.fakes.bot_api_state import BotState
from tests.fakes.bot_api_updates import UpdateQueue

STARS = "XTR"
PRE_CHECKOUT_DEADLINE_SECONDS = 10.0
MAX_PAYLOAD_BYTES = 128
MAX_STARS_AMOUNT = 10_000
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


@dataclass(frozen=True)
class Invoice:
    """An invoice message the bot sent."""

    chat_id: int
    message_id: int
    title: str
    payload: str
    currency: str
    total_amount: int


@dataclass
class Checkout:
    """A pre-checkout query sent to the bot and its answer (None until answered)."""

    id: str
    user: FakeUser
    chat_id: int
    currency: str
    total_amount: int
    payload: str
    sent_at: float
    answer: dict[str, Any] | None = None
    answered_at: float | None = None

    @property
    def approved(self) -> bool:
        """True when the bot answered ok=True in time."""
        return (
            self.answer is not None
            and bool(self.answer["ok"])
            and self.answered_at is not None
            and self.answered_at - self.sent_at <= PRE_CHECKOUT_DEADLINE_SECONDS
        )


@dataclass
class Charge:
    """A completed Stars payment."""

    charge_id: str
    user_id: int
    total_amount: int
    payload: str
    refunded: bool = False


@dataclass
class PaymentRecords:
    """What the fake remembers about payments."""

    invoices: dict[tuple[int, int], Invoice] = field(default_factory=dict)
    checkouts: dict[str, Checkout] = field(default_factory=dict)
    charges: dict[str, Charge] = field(default_factory=dict)
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


class StarPayments:
    """The payment methods (bot side) and the buyer's actions (user side), on shared records."""

    def __init__(
        self, state: BotState, queue: UpdateQueue, sender: MessageSender, clock: Callable[[], float]
    ) -> None:
        self._state = state
        self._queue = queue
        self._sender = sender
        self._clock = clock
        self.records = PaymentRecords()

    # -- Bot API methods ---------------------------------------------------------------------------

    async def send_invoice(self, call: CallContext) -> dict[str, Any]:
        """sendInvoice, for Telegram Stars only (the fake has no payment providers)."""
        params = call.params
        title, description, payload = params["title"], params["description"], params["payload"]
        if not 1 <= len(title) <= 32:
            raise bad_request("INVOICE_TITLE_INVALID")
        if not 1 <= len(description) <= 255:
            raise bad_request("INVOICE_DESCRIPTION_INVALID")
        if not 1 <= len(payload.encode()) <= MAX_PAYLOAD_BYTES:
            raise bad_request("INVOICE_PAYLOAD_INVALID")
        if params["currency"] != STARS or params.get("provider_token", ""):
            raise bad_request("PAYMENT_PROVIDER_INVALID")
        prices: list[dict[str, Any]] = params["prices"]
        if len(prices) != 1:
            raise bad_request("STARS_INVOICE_INVALID")
        amount = prices[0]["amount"]
        if not 1 <= amount <= MAX_STARS_AMOUNT or params.get("max_tip_amount"):
            raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
        placement = self._sender.place(params)
        invoice_object = {
            "title": title,
            "description": description,
            "start_parameter": params.get("start_parameter", ""),
            "currency": STARS,
            "total_amount": amount,
        }
        message = self._sender.create(placement, params, kind="invoice", service={"invoice": invoice_object})
        self.records.invoices[(placement.chat.id, message.message_id)] = Invoice(
            chat_id=placement.chat.id,
            message_id=message.message_id,
            title=title,
            payload=payload,
            currency=STARS,
            total_amount=amount,
        )
        return self._state.message_dict(message)

    async def answer_pre_checkout_query(self, call: CallContext) -> bool:
        """answerPreCheckoutQuery: once, within 10 seconds; ok=False needs an error_message."""
        params = call.params
        checkout = self.records.checkouts.get(params["pre_checkout_query_id"])
        now = self._clock()
        if (
            checkout is None
            or checkout.answer is not None
            or now - checkout.sent_at > PRE_CHECKOUT_DEADLINE_SECONDS
        ):
            raise bad_request(_QUERY_INVALID)
        if not params["ok"] and not params.get("error_message"):
            raise bad_request("error_message is required when ok is false")
        checkout.answer = dict(params)
        checkout.answered_at = now
        return True

    async def refund_star_payment(self, call: CallContext) -> bool:
        """refundStarPayment: a charge of that user, refunded at most once."""
        params = call.params
        charge = self.records.charges.get(params["telegram_payment_charge_id"])
        if charge is None or charge.user_id != params["user_id"]:
            raise bad_request("CHARGE_NOT_FOUND")
        if charge.refunded:
            raise bad_request("CHARGE_ALREADY_REFUNDED")
        charge.refunded = True
        return True

    # -- the buyer -------------------------------------------------------------------------------

    def checkout(
        self, user: FakeUser, *, payload: str, total_amount: int, currency: str = STARS
    ) -> dict[str, Any]:
        """The buyer confirms a payment: the bot gets a pre_checkout_query (any payload, for tampering)."""
        query_id = str(7_000_000_000_000_000 + next(self.records.numbers))
        self.records.checkouts[query_id] = Checkout(
            id=query_id,
            user=user,
            chat_id=user.id,
            currency=currency,
            total_amount=total_amount,
            payload=payload,
            sent_at=self._clock(),
        )
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": payload,
        }
        self._queue.push({"pre_checkout_query": query})
        return query

    def pay_invoice(self, chat: FakeChat, user: FakeUser, message_id: int) -> dict[str, Any]:
        """The buyer presses Pay on an invoice message the bot sent."""
        invoice = self.records.invoices.get((chat.id, message_id))
        if invoice is None:
            raise LookupError(f"message {message_id} in chat {chat.id} is not an invoice")
        return self.checkout(user, payload=invoice.payload, total_amount=invoice.total_amount)

    def complete(self, query_id: str) -> dict[str, Any]:
        """Telegram takes the Stars after an approved checkout: the successful_payment update (returned)."""
        checkout = self.records.checkouts[query_id]
        if not checkout.approved:
            raise RuntimeError(f"checkout {query_id} was not approved in time: {checkout.answer}")
        number = next(self.records.numbers)
        charge_id = f"stxTEST{number:012d}"
        self.records.charges[charge_id] = Charge(
            charge_id, checkout.user.id, checkout.total_amount, checkout.payload
        )
        chat = self._state.chats.get(checkout.chat_id)
        if chat is None:
            raise LookupError(f"no private chat with user {checkout.user.id}")
        paid = {
            "currency": checkout.currency,
            "total_amount": checkout.total_amount,
            "invoice_payload": checkout.payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": f"{checkout.user.id}_{number}",
        }
        message = self._state.new_message(
            chat, checkout.user, kind="service", service={"successful_payment": paid}
        )
        return self._queue.push({"message": self._state.message_dict(message)})

    def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """The same update again (as after a crash or a lost webhook answer)."""
        return self._queue.push({key: value for key, value in update.items() if key != "update_id"})
