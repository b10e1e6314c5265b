## /buy and Telegram Stars payments

buy-off = 💫 Buying video credit is not available on this bot.
buy-private-only = 💫 Credit is bought in a private chat with me: open @{ $bot } and send /buy.
buy-menu =
    💫 <b>Buy video credit with Telegram Stars</b>
    Paid credit never expires and is used after your free budget. Failed videos cost nothing.
    /terms has the terms, /paysupport helps with a payment.
buy-button = ⭐ { $stars } → { $credit } credit
buy-pack-gone = That pack is no longer on sale. Send /buy to see the current ones.
invoice-title = Video credit { $credit }
invoice-description = { $credit } of credit for AI videos, paid with { $stars } Stars. It never expires; failed videos are free.
invoice-label = Credit { $credit }
checkout-refused-off = Payments are switched off on this bot right now.
checkout-refused-not_allowed = Sorry, this bot is private. Ask its operator for access.
checkout-refused-forged = This invoice was not issued by the bot. Send /buy for a new one.
checkout-refused-not_yours = This invoice was made for someone else. Send /buy for your own.
checkout-refused-stale = This invoice has expired. Send /buy for a new one.
checkout-refused-changed = This pack's price has changed. Send /buy to see the current packs.
payment-credited =
    ✅ Thank you! { $credit } of video credit was added.
    Your paid credit is now { $balance }. /quota shows everything you can spend.
payment-not-credited = ⚠️ Your payment arrived, but the bot could not match it to one of its invoices. Nothing is lost: send /paysupport and we will sort it out.
paysupport =
    🛟 <b>Help with a payment</b>
    Write to the bot's operator and include the date of the payment; the operator can see it and refund it. Telegram's own support cannot help with purchases made in this bot.
terms =
    📄 <b>Terms</b>
    • Telegram Stars buy video credit in US dollars at the rate shown on each pack.
    • Credit never expires. Each video uses your free budget first, then paid credit.
    • You pay only for delivered videos: a failed or cancelled video gives its credit back.
    • A purchase can be refunded (in Stars, by the operator) while its whole credit is unspent. /paysupport tells you how to ask.
quota-paid = ⭐ Paid credit: { $paid } (in progress: { $reserved }); it never expires.
quota-buy-more = /buy adds credit with Telegram Stars.

## Admin: /refund

refund-usage = Usage: <code>/refund TELEGRAM_PAYMENT_CHARGE_ID</code>
refund-unknown = No payment has the charge id <code>{ $charge }</code>.
refund-already = Payment <code>{ $charge }</code> ({ $stars } Stars from { $user }) was already refunded.
refund-spent = Payment <code>{ $charge }</code> ({ $stars } Stars, { $credit } credit) cannot be refunded: user { $user } has only { $left } of paid credit left (some is spent or held by running videos). Only unspent purchases are refunded.
refund-failed = Telegram did not refund <code>{ $charge }</code>: { $reason }. The credit is unchanged; try again later.
refund-done = ↩️ Refunded { $stars } Stars to { $user } and removed { $credit } of credit (payment <code>{ $charge }</code>).
stats-purchases = ⭐ Purchases: today { $today_count } ({ $today_stars } Stars, { $today_usd }), this { $period } { $period_count } ({ $period_stars } Stars, { $period_usd })
stats-refunds = ↩️ Refunds: today { $today_count } ({ $today_stars } Stars, { $today_usd }), this { $period } { $period_count } ({ $period_stars } Stars, { $period_usd })

## /history

history-empty = You have no delivered videos yet. Try <code>/video a fox running through snow</code>.
history-header = 🎞 <b>Your last { $count } videos</b> (press a number to get one again, free)
history-line = { $number }. { $prompt } · <code>{ $model }</code> · { $date }
history-button = ▶️ { $number }
history-gone = That video is no longer available.
history-sending = Sending it again…

## Commands menu (for bot.app.COMMANDS)

command-buy = Buy video credit with Telegram Stars
command-history = Your last videos
