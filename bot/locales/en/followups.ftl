# Buttons under a delivered video (bot/jobs/followup_buttons.py, handlers/followups.py)
followup-again = 🔁 Again · { $price }
followup-vary-count = 🎲 ×{ $count } · { $price }
followup-continue = ➡️ Continue · { $price }
followup-stitch = 🧵 Stitch { $clips } clips · free
followup-stitched = 🧵 { $clips } clips stitched into one video
followup-preparing = ➡️ Taking the last frame…
followup-stitching = 🧵 Stitching…
followup-expired = This button has expired.
followup-no-video = That video is no longer available to build on.
followup-fetch-failed = I couldn't fetch that video back from Telegram (videos over 20 MB can't be fetched by bots).
followup-nothing-to-stitch = There is only one clip, so there is nothing to stitch yet: tap Continue first.
followup-stitch-failed = The clips could not be stitched together.
followup-stitch-no-rights = The bot may not send videos in this chat. Ask an admin to allow it to send media, then tap Stitch again.
followup-stitch-not-sent = Telegram did not take the stitched video for a long time. Tap Stitch again to have it sent.
followup-telegram-unreachable = Telegram could not be reached just now. Please tap the button again in a minute.
