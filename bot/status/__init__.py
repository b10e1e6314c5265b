"""A job's status message: the progress it shows (progress), the component that writes it within
Telegram's limits (board), and the per-job feed from events to the message (reporter)."""
