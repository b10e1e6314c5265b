"""Operational tunables in one place: how long the bot waits, how often it retries, how much it holds.

Limits that come from Telegram or the gateway live beside the code that enforces them (they are facts,
not choices); what an operator sets per deployment is in bot/settings.py. The storage layer keeps its
own few (storage/ never imports bot/).
"""

from __future__ import annotations

from datetime import timedelta

# -- Jobs: queue, runs, retries --------------------------------------------------------------------

# Old finished jobs and stray temporary folders are cleaned up this often.
MAINTENANCE_INTERVAL_SECONDS = 3600.0

# How often users who could not be told an outcome yet (Telegram unreachable) are tried again.
NOTIFY_RETRY_SECONDS = 15.0

# A job held up by local trouble (full disk, locked database) runs again after this pause, doubling.
LOCAL_RETRY_FIRST_SECONDS = 5.0
LOCAL_RETRY_MAX_SECONDS = 300.0

# Input photos of finished jobs are kept this long so "Try again" can reuse them.
IMAGE_RETENTION = timedelta(days=1)

# A typical generation (fast models 30-60 s, standard 1-2 min), for the wait shown to queued jobs.
TYPICAL_GENERATION_SECONDS = 75.0

# Uploads stream from disk, so this bounds sockets and CPU, not memory.
MAX_PARALLEL_UPLOADS = 8

# Chained clips in one /extend video (5 x 8 s = 40 s).
MAX_SEGMENTS = 5

# "Try again" after a failed delivery sends the clip already made while its link (valid upstream for a
# day) is still good, with an hour to spare.
RESULT_VALIDITY = timedelta(hours=23)

# The parts of a photo album arrive as separate updates: the album is complete after this much quiet.
ALBUM_QUIET_SECONDS = 1.0

# A second tap on the same follow-up button within this window is the same request, not a new one.
DOUBLE_TAP_WINDOW_SECONDS = 30

# -- Delivery and status messages ------------------------------------------------------------------

# A delivery that meets network errors waits 1 s, doubling up to this, within DELIVERY_RETRY_MINUTES.
MAX_DELIVERY_BACKOFF = 60.0

MAX_FINAL_ATTEMPTS = 6  # network failures tolerated while writing a final state (about 30 s of backoff)
MAX_FINAL_FLOOD_WAITS = 20  # RetryAfter answers tolerated while writing a final state
MAX_REMEMBERED_CLOSED = 4096  # finished or vanished messages remembered so late updates stay ignored
# At shutdown, pending final states get this long to be written.
STOP_TIMEOUT = 10.0

# -- Telegram pacing -------------------------------------------------------------------------------

# A first answer that hit flood control is sent again once when the wait is at most this long.
MAX_ANSWER_RETRY_WAIT = 30.0

# Chats with nothing left to count are forgotten once this many are known (keeps memory flat).
FORGET_IDLE_CHATS_AT = 512

# -- The gateway -----------------------------------------------------------------------------------

# /content may answer 400 for a few seconds right after `completed`: the docs retry every 4 s, 5 tries.
CONTENT_ATTEMPTS = 5
CONTENT_RETRY_DELAY = 4.0
# How much of an answer is read: an error body (for its message), a JSON body (a task, a completion).
MAX_ERROR_BODY_BYTES = 64 * 1024
MAX_JSON_BODY_BYTES = 1024 * 1024

# The longest line of the stream the decoder accepts. Every documented event is under 1 KB; a whole
# chat completion sent as one line (n = 4, long signed URLs) stays under 10 KB.
MAX_LINE_CHARS = 1024 * 1024

# -- Start, stop and the outside world -------------------------------------------------------------

# At shutdown, running downloads and uploads get this long to finish (the rest resume at the next start).
SHUTDOWN_GRACE_SECONDS = 10.0

# Start-up calls to Telegram (getMe, setWebhook/deleteWebhook) are retried with growing pauses (1.5 s, 2.3 s,
# ... about 30 s in all), so a short network outage at start does not stop the bot.
BOOTSTRAP_RETRIES = 6

# Telegram's updates are a few KB; 1 MiB leaves room for the largest message with entities and a poll.
MAX_UPDATE_BYTES = 1024 * 1024

# The heartbeat file (HEARTBEAT_FILE) is touched this often while the bot is healthy.
HEARTBEAT_INTERVAL_SECONDS = 15.0
# The bot beats every 15 s (bot/heartbeat.py); this allows for a few missed beats under load.
DEFAULT_MAX_AGE_SECONDS = 90.0

# The metrics endpoint gets this long to close its connections at shutdown.
SERVER_CLOSE_TIMEOUT_SECONDS = 5.0

# The same notice is sent at most once in this many seconds; repeats are counted and mentioned next time.
NOTICE_COOLDOWN_SECONDS = 15 * 60

# Jobs failing in a row for the same upstream reason before the admins hear of it.
FAILURES_IN_A_ROW = 3

# An invoice can be paid this long after /buy sent it; older ones are refused at checkout.
INVOICE_VALID_SECONDS = 24 * 3600
