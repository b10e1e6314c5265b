## /settings：/video 默认设置菜单（handlers/settings_menu.py）

command-settings = 你的默认视频设置

settings-title-user = ⚙️ <b>你的 /video 默认设置</b>
settings-title-chat = ⚙️ <b>{ $chat } 的群默认设置</b>
settings-source-own = 在任何聊天中，只要 /video 没写选项就会使用这些设置；你手动输入的选项始终优先。
settings-source-chat = 你还没有自己的设置，所以在这里使用本群的默认设置。点一下按钮即可创建你自己的设置，它们在所有聊天中生效。
settings-source-bot = 你还没有自己的设置，下面是机器人的默认值。点一下按钮即可创建你自己的设置，它们在所有聊天中生效。
settings-chat-own = 本群中还没有自己设置的成员会使用它（/settings）。/video 中手动输入的选项始终优先。
settings-chat-bot = 本群还没有默认设置，下面是机器人的默认值。点一下按钮，为还没有自己设置的成员设定默认值。

settings-line-orientation = 方向：{ $value }
settings-line-speed = 速度：{ $value }
settings-line-channel = 渠道：{ $value }
settings-line-clip = 视频：{ $seconds } 秒 · { $resolution }{ $n ->
    [1] {""}
   *[other] {" "}· 一次 { $n } 个
 }
settings-line-model = 模型：<code>{ $model }</code>
settings-line-price = 按这些默认设置，每次 /video 花费 <b>{ $price }</b>。
settings-closed = ✅ 已保存。想再修改时发送 /settings。

settings-orientation-auto = 自动（跟随照片，否则竖屏）
settings-orientation-portrait = 竖屏 9:16
settings-orientation-landscape = 横屏 16:9
settings-speed-fast = 快速
settings-speed-standard = 标准
settings-channel-reverse = 逆向渠道（Reverse）
settings-channel-official = 官方渠道（Google AI Studio）

settings-button-orientation-auto = 🔄 自动
settings-button-orientation-portrait = 📱 竖屏
settings-button-orientation-landscape = 🖥 横屏
settings-button-speed-fast = ⚡ 快速
settings-button-speed-standard = 🎞 标准
settings-button-channel-reverse = 逆向
settings-button-channel-official = 官方
settings-button-seconds = ⏱ { $value } 秒
settings-button-resolution = { $value }
settings-button-count = × { $value }
settings-button-reset = ↩️ 重置
settings-button-done = ✅ 完成
settings-button-selected = ✓ { $label }

settings-saved = 已保存。
settings-saved-adjusted = 已保存。为配合这个选择，其他选项也做了相应调整。
settings-reset-user = 你自己的设置已清除，重新使用本群或机器人的默认设置。
settings-reset-chat = 本群的默认设置已清除，重新使用机器人的默认设置。
settings-unavailable = 这个选项已不可用，菜单已更新为当前状态。
settings-not-yours = 只有打开这个菜单的人才能使用它。发送 /settings 打开你自己的设置。
settings-not-admin = 只有本群管理员才能修改群默认设置。
settings-chat-refused = 抱歉，只有本群管理员才能设置群默认设置。你可以用 /settings 设置你自己的。
settings-chat-private = /settings chat 用于设置群的默认设置，只能在群里使用。在这里，/settings 设置的是你自己的默认设置。
settings-usage = 发送 /settings 设置你自己的默认设置。在群里，管理员可以发送 /settings chat 设置群默认设置。
