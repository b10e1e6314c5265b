# Errors in the options of /video (OptionError in bot/video_options.py).

option-unknown = Unknown option { $option }. Options: { $known }.
option-missing-value = { $option } needs a value, for example: { $example }.
option-bad-value = { $option } does not accept “{ $value }”. Allowed: { $allowed }.
option-unexpected-value = { $option } takes no value (got “{ $value }”).
option-unknown-model = There is no model called “{ $value }”. Try: { $choices }.
option-conflict = { $option } and { $other } cannot be used together.
option-repeated = { $option } is given more than once.

# A short reminder of every option, shown with the errors above.
option-usage =
    Options: --landscape or --portrait, --fast or --standard, --seconds 4|6|8,
    --resolution 720p|1080p|4k, --n 1–4, --seed N, --negative "what to avoid", --model ID.
