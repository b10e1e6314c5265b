"""SQLite storage: users, chats, durable jobs, the spend ledger and budgets. Imports nothing from the bot."""

from storage.database import Database
from storage.errors import IllegalTransition, JobNotFound, SchemaVersionError, StorageError
from storage.jobs import JobStore
from storage.ledger import MAX_GRANT_CENTS, QuotaLedger
from storage.models import (
    ALLOWED_TRANSITIONS,
    TERMINAL_STATES,
    CreateJobResult,
    Duplicate,
    Job,
    JobCreated,
    JobImage,
    JobMode,
    JobState,
    LedgerEntry,
    LedgerKind,
    NewJob,
    PaymentTotals,
    QuotaPolicy,
    RefusalReason,
    Refused,
    Stats,
    UsageSummary,
    User,
)
from storage.payments import PaidCredit, PaymentStore, StarPayment
from storage.periods import Period, period_bounds, period_key
from storage.preferences import PreferenceScope, PreferenceStore, PreferenceValues, SavedPreferences
from storage.stats import collect_stats
from storage.users import UserStore

__all__ = [
    "ALLOWED_TRANSITIONS",
    "MAX_GRANT_CENTS",
    "TERMINAL_STATES",
    "CreateJobResult",
    "Database",
    "Duplicate",
    "IllegalTransition",
    "Job",
    "JobCreated",
    "JobImage",
    "JobMode",
    "JobNotFound",
    "JobState",
    "JobStore",
    "LedgerEntry",
    "LedgerKind",
    "NewJob",
    "PaidCredit",
    "PaymentStore",
    "PaymentTotals",
    "Period",
    "PreferenceScope",
    "PreferenceStore",
    "PreferenceValues",
    "QuotaLedger",
    "QuotaPolicy",
    "RefusalReason",
    "Refused",
    "SavedPreferences",
    "SchemaVersionError",
    "StarPayment",
    "Stats",
    "StorageError",
    "UsageSummary",
    "User",
    "UserStore",
    "collect_stats",
    "period_bounds",
    "period_key",
]
