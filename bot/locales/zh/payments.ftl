## /buy 与 Telegram Stars 付款

buy-off = 💫 这个机器人没有开放购买视频额度。
buy-private-only = 💫 请在与我的私聊中购买额度：打开 @{ $bot } 并发送 /buy。
buy-menu =
    💫 <b>用 Telegram Stars 购买视频额度</b>
    付费额度永不过期，会在免费额度用完后使用。失败的视频不收费。
    条款见 /terms，付款问题请用 /paysupport。
buy-button = ⭐ { $stars } → { $credit } 额度
buy-pack-gone = 这个套餐已下架。发送 /buy 查看当前套餐。
invoice-title = 视频额度 { $credit }
invoice-description = 用 { $stars } Stars 购买 { $credit } 的 AI 视频额度。永不过期；失败的视频不收费。
invoice-label = 额度 { $credit }
checkout-refused-off = 这个机器人目前关闭了付款。
checkout-refused-not_allowed = 抱歉，这是私人机器人。请向运营者申请使用权限。
checkout-refused-forged = 这张账单不是本机器人开出的。发送 /buy 获取新账单。
checkout-refused-not_yours = 这张账单是开给别人的。发送 /buy 获取你自己的账单。
checkout-refused-stale = 这张账单已过期。发送 /buy 获取新账单。
checkout-refused-changed = 这个套餐的价格已变更。发送 /buy 查看当前套餐。
payment-credited =
    ✅ 谢谢！已为你增加 { $credit } 的视频额度。
    你的付费额度现在是 { $balance }。/quota 显示你可以使用的全部额度。
payment-not-credited = ⚠️ 已收到你的付款，但机器人无法将其与账单对应。钱不会丢失：请发送 /paysupport，我们会处理。
paysupport =
    🛟 <b>付款帮助</b>
    请联系机器人的运营者并注明付款日期；运营者可以查到这笔付款并退款。Telegram 官方客服无法处理在本机器人中的购买。
terms =
    📄 <b>条款</b>
    • Telegram Stars 按每个套餐标明的比例购买以美元计的视频额度。
    • 额度永不过期。每个视频先用免费额度，再用付费额度。
    • 只为成功送达的视频付费：失败或取消的视频会退回额度。
    • 在一笔购买的额度完全未使用时，运营者可以（以 Stars）退款。如何申请见 /paysupport。
quota-paid = ⭐ 付费额度：{ $paid }（进行中：{ $reserved }），永不过期。
quota-buy-more = /buy 可用 Telegram Stars 增加额度。

## 管理员：/refund

refund-usage = 用法：<code>/refund TELEGRAM_PAYMENT_CHARGE_ID</code>
refund-unknown = 没有付款的 charge id 是 <code>{ $charge }</code>。
refund-already = 付款 <code>{ $charge }</code>（{ $user } 的 { $stars } Stars）已经退过款了。
refund-spent = 付款 <code>{ $charge }</code>（{ $stars } Stars，{ $credit } 额度）无法退款：用户 { $user } 只剩 { $left } 付费额度（部分已使用或被进行中的视频占用）。只有未使用的购买才能退款。
refund-failed = Telegram 没有退款 <code>{ $charge }</code>：{ $reason }。额度未变；请稍后再试。
refund-done = ↩️ 已向 { $user } 退回 { $stars } Stars，并扣除 { $credit } 额度（付款 <code>{ $charge }</code>）。
stats-purchases = ⭐ 购买：今天 { $today_count } 笔（{ $today_stars } Stars，{ $today_usd }），本{ $period } { $period_count } 笔（{ $period_stars } Stars，{ $period_usd }）
stats-refunds = ↩️ 退款：今天 { $today_count } 笔（{ $today_stars } Stars，{ $today_usd }），本{ $period } { $period_count } 笔（{ $period_stars } Stars，{ $period_usd }）

## /history

history-empty = 你还没有已送达的视频。试试 <code>/video 一只在雪地里奔跑的狐狸</code>。
history-header = 🎞 <b>你最近的 { $count } 个视频</b>（按编号可免费重新获取）
history-line = { $number }. { $prompt } · <code>{ $model }</code> · { $date }
history-button = ▶️ { $number }
history-gone = 这个视频已无法获取。
history-sending = 正在重新发送…

## 命令菜单（bot.app.COMMANDS）

command-buy = 用 Telegram Stars 购买视频额度
command-history = 你最近的视频
