# /video 选项的错误提示（bot/video_options.py）。

option-unknown = 没有 { $option } 这个选项。可用选项：{ $known }。
option-missing-value = { $option } 后面需要跟一个值，例如：{ $example }。
option-bad-value = { $option } 不接受“{ $value }”。可选值：{ $allowed }。
option-unexpected-value = { $option } 不需要值（收到了“{ $value }”）。
option-unknown-model = 没有名为“{ $value }”的模型。可以试试：{ $choices }。
option-conflict = { $option } 和 { $other } 不能同时使用。
option-repeated = { $option } 重复出现了，只能写一次。

# 所有选项的简短说明，和上面的错误一起显示。
option-usage =
    选项：--landscape（横屏）或 --portrait（竖屏），--fast（快速）或 --standard（标准），--seconds 4|6|8，
    --resolution 720p|1080p|4k，--n 1–4（生成数量），--seed 数字，--negative "不想出现的内容"，--model 模型ID。
