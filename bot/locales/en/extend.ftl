# /extend: longer videos chained from clips (handlers/video.py, bot/jobs/intake.py)
extend-usage =
    Make a longer video from chained clips: <code>/extend 24 a hot-air balloon drifting over hills</code>
    The number is the length in seconds (at least 9); each 8-second clip starts from the last frame of the one before, and you get one video. Every clip costs like a video.
invalid-extend_too_long = A longer video can chain at most 5 clips ({ $limit } seconds).
invalid-extend_single_video = A longer video is made one at a time: leave out --n.
command-extend = A longer video from chained clips
