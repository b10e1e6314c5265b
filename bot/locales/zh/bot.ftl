## /start 和 /help

start =
    👋 { $name }，你好！我可以把一句话或一张照片变成一段 AI 短视频（Google VEO 3.1）。

    试试：<code>/video 一只狐狸在雪地里奔跑</code>
    也可以直接发一张照片给我，在说明文字里写上画面该怎么动。

    /help 查看所有选项，/models 查看模型和价格，/quota 查看剩余额度。

help =
    🎬 <b>生成视频</b>
    <code>/video 一只狐狸在雪地里奔跑</code>

    📷 <b>让照片动起来</b>
    • 私聊：发送一张照片并附上说明文字，例如 <i>镜头缓缓推近</i>。
    • 群组：发送照片，说明文字以 <code>/video</code> 开头。
    • 回复一张照片：<code>/video 你的描述</code>。
    • 两张照片组成的相册会分别作为首帧和尾帧。
    • 以文件形式发送的图片（JPEG、PNG、WEBP）也可以；过大的图片会自动缩小。

    ⚙️ <b>选项</b>（写在描述前面或后面都可以）
    <code>--landscape</code> / <code>--portrait</code> 横屏或竖屏（默认竖屏，有照片时跟随照片方向）
    <code>--fast</code> / <code>--standard</code> 快速档或标准档（速度和价格不同）
    <code>--model ID</code> 指定模型，见 /models
    <code>--seconds 4|6|8</code> 视频时长（仅官方模型；逆向模型固定为 8 秒）
    <code>--resolution 720p|1080p|4k</code> 分辨率（仅官方模型；1080p 和 4k 必须是 8 秒）
    <code>--n 1..4</code> 一次生成多个视频（逆向模型）
    <code>--seed N</code>、<code>--negative 文本</code>（仅官方模型）
    手机输入法打出的 — 或 —— 也可以当作 -- 使用。

    🔁 <b>每个视频下方</b>：再来一次、多个变体、继续（下一段从最后一帧开始），以及对续拍的片段进行拼接。
    🎞 <b>更长的视频</b>：<code>/extend 24 热气球飘过山丘</code> 会把多段视频串接成一个。

    ⚙️ /settings 保存你的默认设置（方向、速度、模型、时长、分辨率、视频数量）。
    ✋ /cancel 取消仍在等待的视频。🌐 /language 切换 English / 中文。

    💳 只有成功交付的视频才扣费，失败不收费。/quota 查看你的额度，/buy 购买额度（如果机器人开放购买），/history 查看你的视频。
    ⏱ 生成一个视频大约需要 30 秒到 2 分钟。

## /models

models-header = 🎞 <b>模型</b>（每段视频的价格）
models-line = <code>{ $id }</code> · { $price } · { $what }
models-footer = 默认模型：<code>{ $default }</code>。用 <code>--model ID</code> 选择其他模型。
model-what-reverse = { $orientation ->
    [landscape] 横屏 16:9
   *[portrait] 竖屏 9:16
 }，8 秒{ $fast ->
    [yes] ，快速
   *[no] {""}
 }{ $images ->
    [yes] ，可让 1–2 张照片动起来
   *[no] {""}
 }{ $sync ->
    [yes] ，实时进度，一次最多生成 4 个
   *[no] {""}
 }
model-what-official = 官方{ $fast ->
    [yes] 快速版
   *[no] {""}
 }，4/6/8 秒，720p/1080p/4k，可选一张照片，支持 seed 和反向提示词

## 在花钱之前就拒绝的请求

video-usage =
    告诉我你想拍什么，例如 <code>/video 一只狐狸在雪地里奔跑</code>。
    /help 可查看所有选项。
photo-needs-caption = 请给照片加上说明文字，描述画面该怎么动，例如 <i>镜头缓缓推近</i>。本次未扣费。
album-too-many = 一个相册最多只能有两张照片（首帧和尾帧），这个相册有 { $count } 张。
file-not-image = 我只能使用 JPEG、PNG、WEBP、GIF、BMP、TIFF 或 AVIF 图片，这个文件（{ $kind }）用不了。
file-too-large = 这张图片有 { $size } MB，我最多只能接收 { $limit } MB 的图片。
image-error-not_an_image = 这个文件不是我能读取的图片。
image-error-unsupported_format = 不支持这种图片格式，请发送 JPEG、PNG 或 WEBP 图片。
image-error-too_large = 这张图片太大了，请发送小于 20 MB 的图片。
image-error-too_small = 这张图片太小了，每条边至少需要 64 像素。
image-error-animated = 动图不能用作视频画面，请发送静态图片。
image-telegram-unreachable = 暂时无法连接 Telegram，没能取到你的图片。请过一分钟再发送一次。本次未扣费。
image-fetch-failed = 无法从 Telegram 取到这张图片，请重新发送。本次未扣费。
image-error-damaged = 这张图片已损坏或不完整，我无法读取，请重新发送。本次未扣费。
image-error-too_many_pixels = 这张图片像素太多（超过 4000 万像素），请发送小一点的图片。
image-error-extreme_aspect = 这张图片太细长了，无法做成视频（长宽比最多 4:1），请先裁剪。
image-error-unsupported_named = 我无法读取 { $kind } 图片，请改用 JPEG、PNG 或 WEBP（GIF、BMP、TIFF 和 AVIF 也可以）。
button-unknown = 这个按钮已失效，请重新发送命令。
grant-user-too-large = 这个用户 ID 太大了，最大为 { $max }。
sticker-not-supported = 贴纸无法做成视频，请发送照片。
not-allowed = 抱歉，这是一个私有机器人。请联系它的运营者申请使用权限。
invalid-request = ⚠️ { $reason }
    本次未扣费。
invalid-prompt_required = 请描述你想要的视频：描述内容是空的。
invalid-prompt_too_long = 描述太长了，最多 { $limit } 个字符。
invalid-unknown_model = 没有名为 { $model } 的模型，请查看 /models。
invalid-images_required = { $model } 是让照片动起来的模型：请同时发送 1 到 2 张图片。
invalid-images_not_allowed = { $model } 只能根据文字生成视频；想让照片动起来，请不要指定 --model。
invalid-too_many_images = { $model } 最多只能使用 { $limit } 张图片。
invalid-image_type_not_allowed = { $model } 不能使用这种图片格式。
invalid-n_out_of_range = 视频数量（--n）必须在 1 到 4 之间。
invalid-n_requires_sync = 一次生成多个视频需要使用支持实时进度的逆向模型；这个请求只能生成一个。
invalid-duration_not_allowed = { $model } 只能生成 { $allowed } 秒的视频。需要其他时长请使用官方模型，例如 <code>--model veo-3.1-fast-generate-preview</code>。
invalid-resolution_not_allowed = { $model } 只能生成 720p 视频。需要 1080p 或 4k 请使用官方模型，例如 <code>--model veo-3.1-generate-preview</code>。
invalid-duration_requires_8s = 1080p 和 4k 视频的时长固定为 8 秒。
invalid-seed_out_of_range = seed 必须是 0 到 4294967295 之间的整数。
invalid-seed_not_supported = { $model } 不支持 seed，官方模型才支持。
invalid-negative_not_supported = { $model } 不支持反向提示词，官方模型才支持。
invalid-negative_too_long = 反向提示词太长了。
invalid-aspect_ratio_mismatch = 这个模型的画面方向是固定的；请不要指定 --model，或者在 /models 里选一个方向合适的模型。
invalid-sync_not_supported = { $model } 不支持实时进度，只能作为后台任务运行。

## 额度不足时的拒绝

refused-budget = 💳 这个视频需要 { $cost }，而在 { $resets } 之前你只剩 { $left }。详情见 /quota。
refused-global_budget = 💳 机器人本周期的总预算已经用完，将于 { $resets } 重置。
refused-active_jobs = ⏳ 你已经有 { $active } 个视频正在制作中（上限是 { $limit } 个），请等其中一个完成。

## 交付

video-caption-footer = 🎞 { $model }
try-again-button = 🔁 重试
button-not-yours = 这个按钮属于别人的视频。
retry-started = 🔁 正在重试…
retry-already = 已经在重试了。

## 失败（后面总会跟着“本次未扣费”）

failure-content_policy = 视频被 Google 的内容政策拦截了（{ $reason }）。试着换个说法，避免使用真实人物的名字，或者换一张照片。
failure-rate_limited = 视频服务现在很忙，请过几分钟再试。
failure-server_error = 视频服务出了点问题，请重试。
failure-connection = 与视频服务的连接中断或失败，请重试。
failure-timeout = 视频生成时间太长，已经放弃。
failure-generation_failed = 视频没能生成出来{ $reason ->
    [none] {""}
   *[other] （{ $reason }）
 }，请重试。
failure-download_failed = 无法下载生成好的视频。
failure-bad_request = 视频服务拒绝了这个请求{ $reason ->
    [none] {""}
   *[other] （{ $reason }）
 }。
failure-authentication = 机器人的视频服务账号出了问题，已经在日志中通知运营者。
failure-not_found = 视频在取回之前就已经过期了。
failure-interrupted = 视频以流式方式生成时机器人重启了，这类生成无法继续。
failure-upload_failed = 视频已经生成，但 Telegram 长时间没有接收。点击“重试”即可重新发送（不会重新生成）。
failure-undeliverable = Telegram 拒绝了这个视频（{ $reason }）。
failure-no_rights = 机器人无权在这个聊天中发送视频。请管理员允许它发送媒体，然后点击“重试”。
failure-bad_video = 视频服务返回的文件不是可播放的视频。请重试。
failure-internal = 我们这边出了点问题。
failure-cancelled = 已取消。
failure-invalid_request = 视频服务无法接受这个请求（{ $reason }），请换一个模型试试。
failure-gateway_error = 视频服务出了点问题，请重试。
## /quota

quota =
    💳 <b>你的额度</b>（每{ $period }）
    已花费：{ $spent }
    进行中：{ $reserved }
    剩余：{ $left }（共 { $budget }）
    重置时间：{ $resets }
quota-unlimited = 💳 你是管理员，没有额度限制。本{ $period }已花费：{ $spent }。
quota-buys-header = 剩余额度还够生成：
quota-buys-line = • { $clips } × <code>{ $model }</code>
period-day = 日
period-week = 周
period-month = 月

## 管理员

admin-only = 这个命令仅限机器人管理员使用。
grant-usage = 用法：<code>/grant 用户ID 美元金额</code>，例如 <code>/grant 123456 2.50</code>
grant-done = 已在本{ $period }给 { $user } 增加 { $amount } 额度，对方现在还剩 { $left }。
stats =
    📊 <b>统计</b>
    今天：{ $today_jobs } 个任务，{ $today_clips } 段视频，{ $today_spend }
    本{ $period }：{ $period_jobs } 个任务，{ $period_clips } 段视频，{ $period_spend }
    进行中：{ $active } · 排队中：{ $queued }
stats-states = 按状态统计（本{ $period }）：{ $states }
stats-errors = 上游错误（本{ $period }）：{ $errors }
stats-none = 无

## /language

language-menu =
    🌐 <b>语言</b>：{ $current }
    请选择我回复你时使用的语言：
language-current-chosen = { $name }
language-current-auto = { $name }（自动，跟随 Telegram 设置）
language-name-en = 英语
language-name-zh = 简体中文
language-button-auto = 🔄 自动（跟随 Telegram 语言）
language-set = ✅ 好的，以后我会用简体中文回复你。
language-set-auto = ✅ 我会跟随你的 Telegram 语言：{ $name }。

## 命令菜单

command-video = 生成视频：/video 一只狐狸在雪地里奔跑
command-models = 模型和价格
command-quota = 你的额度
command-help = 使用说明
command-language = 语言：English 或 简体中文

## 共用同一个 Telegram 账号的发送者不能发起付费生成，也没有自己的额度、设置或记录
sender-anonymous-admin = 匿名管理员共用同一个账号，我无法为你单独保存额度、设置或视频。请关闭“保持匿名”，或用你自己的账号发送。本次未扣费。
sender-channel = 以频道身份发送的消息不能生成视频，也没有自己的额度、设置或视频；请用你自己的账号发送。本次未扣费。

command-grant = 管理员：为用户增加额度
command-stats = 管理员：任务、花费和错误

# The bot's profile (setMyDescription: at most 512 characters; setMyShortDescription: at most 120).
bot-description = 我用 Google 的 VEO 3.1 把文字提示（也可以加一张图片）变成短视频。发送 /video 加上你想看到的画面，例如：/video 一只狐狸在雪地里奔跑。/models 列出模型和价格，/quota 查看你的额度，/help 说明全部用法。
bot-short-description = 把文字和图片变成 VEO 3.1 短视频：/video 一只狐狸在雪地里奔跑
# A request that was on its way when the bot was removed from the group.
chat-left = 我已被移出此聊天，无法在这里生成视频。未扣任何费用。
