# /extend：由多段视频串接成的长视频 (handlers/video.py, bot/jobs/intake.py)
extend-usage =
    用多段视频串接成更长的视频：<code>/extend 24 热气球飘过山丘</code>
    数字是时长（秒，至少 9 秒）；每段 8 秒的视频都从上一段的最后一帧开始，最后你会收到一个完整视频。每一段按一个视频计费。
invalid-extend_too_long = 长视频最多串接 5 段（{ $limit } 秒）。
invalid-extend_single_video = 长视频一次只能生成一个：请去掉 --n。
command-extend = 用多段视频串接成长视频
