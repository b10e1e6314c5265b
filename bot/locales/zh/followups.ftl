# 视频下方的按钮 (bot/jobs/followup_buttons.py, handlers/followups.py)
followup-again = 🔁 再来一次 · { $price }
followup-vary-count = 🎲 ×{ $count } · { $price }
followup-continue = ➡️ 继续 · { $price }
followup-stitch = 🧵 拼接 { $clips } 段 · 免费
followup-stitched = 🧵 已将 { $clips } 段拼接成一个视频
followup-preparing = ➡️ 正在截取最后一帧…
followup-stitching = 🧵 正在拼接…
followup-expired = 这个按钮已失效。
followup-no-video = 这个视频已无法再使用。
followup-fetch-failed = 无法从 Telegram 取回这个视频（机器人无法下载超过 20 MB 的视频）。
followup-nothing-to-stitch = 目前只有一段视频，无法拼接：请先点“继续”。
followup-stitch-failed = 这些片段无法拼接在一起。
followup-stitch-no-rights = 机器人无权在这个聊天中发送视频。请管理员允许它发送媒体，然后再点一次“拼接”。
followup-stitch-not-sent = Telegram 长时间没有接收拼接好的视频。再点一次“拼接”即可重新发送。
followup-telegram-unreachable = 暂时无法连接 Telegram。请过一分钟再点一次这个按钮。
