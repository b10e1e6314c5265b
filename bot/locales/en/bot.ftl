## /start and /help

start =
    👋 Hi { $name }! I turn a sentence or a photo into a short AI video (Google VEO 3.1).

    Try: <code>/video a fox running through snow</code>
    Or send me a photo with a caption that says how it should move.

    /help shows every option, /models the models and prices, /quota what you have left.

help =
    🎬 <b>Make a video</b>
    <code>/video a fox running through snow</code>

    📷 <b>Animate a photo</b>
    • In a private chat: send a photo with a caption, e.g. <i>camera slowly zooms in</i>.
    • In a group: a photo whose caption starts with <code>/video</code>.
    • Reply to a photo with <code>/video your prompt</code>.
    • An album of two photos becomes the first and last frame.
    • Images sent as files (JPEG, PNG, WEBP) work too; big images are scaled down.

    ⚙️ <b>Options</b> (before or after the prompt)
    <code>--landscape</code> / <code>--portrait</code> orientation (default: portrait, or the photo's)
    <code>--fast</code> / <code>--standard</code> speed and price tier
    <code>--model ID</code> a model from /models
    <code>--seconds 4|6|8</code> clip length (Official models; Reverse clips are 8 s)
    <code>--resolution 720p|1080p|4k</code> (Official models; 1080p and 4k need 8 s)
    <code>--n 1..4</code> several videos at once (Reverse models)
    <code>--seed N</code>, <code>--negative TEXT</code> (Official models)
    A phone's — works as well as --.

    🔁 <b>Under every video</b>: Again, several variations, Continue (the next clip starts from the last frame) and, for continued clips, Stitch into one video.
    🎞 <b>Longer videos</b>: <code>/extend 24 a hot-air balloon over hills</code> chains clips into one video.

    ⚙️ /settings saves your defaults (orientation, speed, model, length, resolution, number of videos).
    ✋ /cancel stops videos that are still waiting. 🌐 /language switches English / 中文.

    💳 You pay only for delivered videos: failures are free. /quota shows your budget, /buy adds credit (if the bot sells it), /history lists your videos.
    ⏱ A video takes about 30 seconds to 2 minutes.

## /models

models-header = 🎞 <b>Models</b> (price per clip)
models-line = <code>{ $id }</code> · { $price } · { $what }
models-footer = Default: <code>{ $default }</code>. Pick one with <code>--model ID</code>.
model-what-reverse = { $orientation ->
    [landscape] landscape 16:9
   *[portrait] portrait 9:16
 }, 8 s{ $fast ->
    [yes] , fast
   *[no] {""}
 }{ $images ->
    [yes] , animates 1–2 photos
   *[no] {""}
 }{ $sync ->
    [yes] , live progress, up to 4 at once
   *[no] {""}
 }
model-what-official = Official{ $fast ->
    [yes] {" "}fast
   *[no] {""}
 }, 4/6/8 s, 720p/1080p/4k, optional photo, seed and negative prompt

## Requests the bot refuses before spending anything

video-usage =
    Tell me what to film, e.g. <code>/video a fox running through snow</code>.
    /help lists the options.
photo-needs-caption = Add a caption that says how the photo should move, e.g. <i>camera slowly zooms in</i>. Nothing was charged.
album-too-many = An album can carry at most two photos (first and last frame); this one has { $count }.
file-not-image = I can animate JPEG, PNG, WEBP, GIF, BMP, TIFF or AVIF images. This file ({ $kind }) isn't one I can use.
file-too-large = That image is { $size } MB; I can take images up to { $limit } MB.
image-error-not_an_image = That file isn't an image I can read.
image-error-unsupported_format = That image format isn't supported; please send a JPEG, PNG or WEBP (GIF, BMP, TIFF and AVIF also work).
image-error-too_large = That image is too large; please send one under 20 MB.
image-error-too_small = That image is too small; it needs at least 64 pixels on each side.
image-error-animated = Animated images can't be used as a frame; please send a still picture.
image-telegram-unreachable = Telegram could not be reached just now, so I couldn't fetch your image. Please send it again in a minute. Nothing was charged.
image-fetch-failed = I couldn't fetch that image from Telegram. Please send it again. Nothing was charged.
image-error-damaged = That image is damaged or incomplete, so I can't read it. Please send it again. Nothing was charged.
image-error-too_many_pixels = That image has too many pixels (over 40 megapixels); please send a smaller one.
image-error-extreme_aspect = That image is too long and thin for a video (at most 4:1 either way); please crop it.
image-error-unsupported_named = I can't read { $kind } images; please send it as a JPEG, PNG or WEBP (GIF, BMP, TIFF and AVIF also work).
button-unknown = This button no longer works. Send a new command instead.
grant-user-too-large = That user id is too large; it can be at most { $max }.
sticker-not-supported = Stickers can't be animated; send a photo instead.
not-allowed = Sorry, this bot is private. Ask its operator for access.
invalid-request = ⚠️ { $reason }
    Nothing was charged.
invalid-prompt_required = Describe the video you want: the prompt is empty.
invalid-prompt_too_long = The prompt is too long; the limit is { $limit } characters.
invalid-unknown_model = There is no model called { $model }. See /models.
invalid-images_required = { $model } animates a photo: send 1 or 2 images with it.
invalid-images_not_allowed = { $model } makes video from text only; leave out --model to animate a photo.
invalid-too_many_images = { $model } takes at most { $limit } image(s).
invalid-image_type_not_allowed = { $model } can't use this image type.
invalid-n_out_of_range = The number of videos (--n) must be between 1 and 4.
invalid-n_requires_sync = Several videos at once need a Reverse model with live progress; this request can make one.
invalid-duration_not_allowed = { $model } makes { $allowed }-second clips. For other lengths use an Official model, e.g. <code>--model veo-3.1-fast-generate-preview</code>.
invalid-resolution_not_allowed = { $model } makes 720p video. For 1080p or 4k use an Official model, e.g. <code>--model veo-3.1-generate-preview</code>.
invalid-duration_requires_8s = 1080p and 4k videos are always 8 seconds long.
invalid-seed_out_of_range = The seed must be a whole number between 0 and 4294967295.
invalid-seed_not_supported = { $model } doesn't take a seed; Official models do.
invalid-negative_not_supported = { $model } doesn't take a negative prompt; Official models do.
invalid-negative_too_long = The negative prompt is too long.
invalid-aspect_ratio_mismatch = That model has a fixed orientation; leave out --model, or pick a model with the orientation you want from /models.
invalid-sync_not_supported = { $model } can't stream live progress; it only runs as a background task.

## Budget refusals

refused-budget = 💳 This video costs { $cost }, and you have { $left } left until { $resets }. /quota has the details.
refused-global_budget = 💳 The bot has used up its budget for this period. It resets { $resets }.
refused-active_jobs = ⏳ You already have { $active } videos in the works (the limit is { $limit }). Wait for one to finish.

## Delivery

video-caption-footer = 🎞 { $model }
try-again-button = 🔁 Try again
button-not-yours = This button belongs to someone else's video.
retry-started = 🔁 Trying again…
retry-already = That retry is already on its way.

## Failures (always followed by "Nothing was charged")

failure-content_policy = The video was blocked by Google's content policy ({ $reason }). Try rewording the prompt, avoid real people's names, or use another photo.
failure-rate_limited = The video service is busy right now. Please try again in a few minutes.
failure-server_error = The video service had a problem. Please try again.
failure-connection = The connection to the video service failed. Please try again.
failure-timeout = The video took too long and was given up.
failure-generation_failed = The video could not be generated{ $reason ->
    [none] {""}
   *[other] {" "}({ $reason })
 }. Please try again.
failure-download_failed = The finished video could not be downloaded.
failure-bad_request = The video service rejected the request{ $reason ->
    [none] {""}
   *[other] {" "}({ $reason })
 }.
failure-authentication = The bot's video service account has a problem. The operator has been notified in the logs.
failure-not_found = The video expired before it could be fetched.
failure-interrupted = The bot restarted while your video was streaming, and that kind of generation can't be resumed.
failure-upload_failed = The video was made, but Telegram did not take it for a long time. Tap Try again to have it sent again (the video is not made again).
failure-undeliverable = Telegram refused the video ({ $reason }).
failure-no_rights = The bot may not send videos in this chat. Ask an admin to allow it to send media, then tap Try again.
failure-bad_video = The video service sent a file that is not a playable video. Please try again.
failure-internal = Something went wrong on our side.
failure-cancelled = Cancelled.
failure-invalid_request = The video service can't take this request ({ $reason }). Try another model.
failure-gateway_error = The video service had a problem. Please try again.
## /quota

quota =
    💳 <b>Your budget</b> ({ $period })
    Spent: { $spent }
    In progress: { $reserved }
    Left: { $left } of { $budget }
    Resets: { $resets }
quota-unlimited = 💳 You are an admin: no budget limit. Spent this { $period }: { $spent }.
quota-buys-header = That still buys:
quota-buys-line = • { $clips } × <code>{ $model }</code>
period-day = day
period-week = week
period-month = month

## Admin

admin-only = This command is for the bot's admins.
grant-usage = Usage: <code>/grant USER_ID USD</code>, e.g. <code>/grant 123456 2.50</code>
grant-done = Granted { $amount } to { $user } for this { $period }. They now have { $left } left.
stats =
    📊 <b>Stats</b>
    Today: { $today_jobs } jobs, { $today_clips } clips, { $today_spend }
    This { $period }: { $period_jobs } jobs, { $period_clips } clips, { $period_spend }
    Active: { $active } · queued: { $queued }
stats-states = By state (this { $period }): { $states }
stats-errors = Upstream errors (this { $period }): { $errors }
stats-none = none

## /language

language-menu =
    🌐 <b>Language</b>: { $current }
    Choose the language I answer you in:
language-current-chosen = { $name }
language-current-auto = { $name } (automatic, from your Telegram settings)
language-name-en = English
language-name-zh = Chinese (Simplified)
language-button-auto = 🔄 Automatic (Telegram's language)
language-set = ✅ From now on I'll answer you in English.
language-set-auto = ✅ I'll follow your Telegram language: { $name }.

## Commands menu

command-video = Make a video: /video a fox running through snow
command-models = Models and prices
command-quota = Your budget
command-help = How to use the bot
command-language = Language: English or 简体中文

## Senders who share one Telegram account cannot start paid work or have a budget, defaults or history
sender-anonymous-admin = Anonymous admins share one account, so I can't keep a budget, settings or videos for you. Turn off “Remain anonymous” or ask from your own account. Nothing was charged.
sender-channel = Posts sent as a channel can't start videos or have a budget, settings or videos of their own; ask from your own account. Nothing was charged.

command-grant = Admins: extra budget for a user
command-stats = Admins: jobs, spend and errors

# The bot's profile (setMyDescription: at most 512 characters; setMyShortDescription: at most 120).
bot-description = I turn a text prompt (and optionally a photo) into a short video with Google's VEO 3.1. Send /video followed by what you want to see, for example: /video a fox running through snow. /models lists models and prices, /quota shows your budget, /help explains everything.
bot-short-description = Text and photos into short VEO 3.1 videos: /video a fox running through snow
# A request that was on its way when the bot was removed from the group.
chat-left = I was removed from this chat, so I can't make videos here. Nothing was charged.
