## /settings: the menu of /video defaults (handlers/settings_menu.py)

command-settings = Your default video settings

settings-title-user = ⚙️ <b>Your /video defaults</b>
settings-title-chat = ⚙️ <b>Default for { $chat }</b>
settings-source-own = They apply in every chat whenever /video names no option; options you type still win.
settings-source-chat = You have not chosen your own yet, so this group's default applies to you here. Tap a button to make your own: they apply in every chat.
settings-source-bot = You have not chosen your own yet; these are the bot's. Tap a button to make your own: they apply in every chat.
settings-chat-own = Used by members of this group who have not chosen their own (/settings). Options typed with /video still win.
settings-chat-bot = This group has no default yet; these are the bot's. Tap a button to set one for members who have not chosen their own.

settings-line-orientation = Orientation: { $value }
settings-line-speed = Speed: { $value }
settings-line-channel = Channel: { $value }
settings-line-clip = Clip: { $seconds } s · { $resolution }{ $n ->
    [1] {""}
   *[other] {" "}· { $n } videos at once
 }
settings-line-model = Model: <code>{ $model }</code>
settings-line-price = A /video with these defaults costs <b>{ $price }</b>.
settings-closed = ✅ Saved. Send /settings to change them again.

settings-orientation-auto = auto (the photo's, else portrait)
settings-orientation-portrait = portrait 9:16
settings-orientation-landscape = landscape 16:9
settings-speed-fast = fast
settings-speed-standard = standard
settings-channel-reverse = Reverse
settings-channel-official = Official (Google AI Studio)

settings-button-orientation-auto = 🔄 Auto
settings-button-orientation-portrait = 📱 Portrait
settings-button-orientation-landscape = 🖥 Landscape
settings-button-speed-fast = ⚡ Fast
settings-button-speed-standard = 🎞 Standard
settings-button-channel-reverse = Reverse
settings-button-channel-official = Official
settings-button-seconds = ⏱ { $value } s
settings-button-resolution = { $value }
settings-button-count = × { $value }
settings-button-reset = ↩️ Reset
settings-button-done = ✅ Done
settings-button-selected = ✓ { $label }

settings-saved = Saved.
settings-saved-adjusted = Saved. Other values were changed to fit this choice.
settings-reset-user = Your own defaults are gone; the group's or the bot's apply again.
settings-reset-chat = The group's default is gone; the bot's applies again.
settings-unavailable = That choice isn't available any more; here is the current menu.
settings-not-yours = Only the person who opened this menu can use it. Send /settings for your own.
settings-not-admin = Only this group's admins can change its default.
settings-chat-refused = Sorry, only this group's admins can set its default. You can set your own with /settings.
settings-chat-private = /settings chat sets a group's default and works in groups. Here, /settings sets your own defaults.
settings-usage = Send /settings for your own defaults. In a group, its admins can send /settings chat for the group's default.
