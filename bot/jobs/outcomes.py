"""How a job run ends: delivered, or failed with a reason the user is told."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.gateway.errors import GatewayError

#: Gateway failures that the same request would meet again: no "Try again" button for them.
FINAL_GATEWAY_KINDS = frozenset({"authentication", "bad_request", "invalid_request"})


@dataclass(frozen=True)
class Failure:
    """Why a job failed, as a text key for the user and a kind for the ledger and logs."""

    kind: str
    reason: str
    retryable: bool = True


@dataclass(frozen=True)
class Outcome:
    """How a run ended, for the runner to tell the user once the job's slot is free."""

    failure: Failure | None = None
    delivered: bool = False
    final_markup: InlineKeyboardMarkup | None = None


def failure_from_gateway(err: GatewayError) -> Failure:
    """Map a gateway exception to what the user is told."""
    reason = getattr(err, "reason", None) or getattr(err, "code", None) or ""
    return Failure(err.kind, str(reason), retryable=err.kind not in FINAL_GATEWAY_KINDS)
