"""Pacing the bot's calls to Telegram within its flood limits."""
