# The live status message of a video job (bot/status/progress.py). Plain text: the code adds icons and HTML.

progress-title-queued = Waiting to start
progress-title-submitting = Sending your request
progress-title-generating =
    { $count ->
        [one] Generating video
       *[other] Generating { $count } videos
    }
progress-title-downloading =
    { $count ->
        [one] Fetching your video
       *[other] Fetching your videos
    }
progress-title-uploading =
    { $count ->
        [one] Sending you the video
       *[other] Sending you the videos
    }
progress-title-delivered =
    { $count ->
        [one] Your video is ready
       *[other] Your { $count } videos are ready
    }

progress-model-line =
    Model: { $model } · { $count ->
        [one] 1 clip
       *[other] { $count } clips
    }

progress-queue-ahead =
    { $ahead ->
        [0] You're next in line
        [one] In line: 1 job ahead
       *[other] In line: { $ahead } jobs ahead
    }

progress-stage-queued = Queued at the gateway
progress-stage-rendering = Rendering
progress-stage-finishing = Finishing
progress-step = step { $step } of { $total }

progress-videos-ready = { $ready } of { $total } videos ready
progress-partly-delivered = Only { $ready } of { $total } videos could be made.
progress-done-in = Done in { $elapsed }

progress-failed-unknown = Something went wrong while making the video.
progress-not-charged = Nothing was charged.
progress-queue-wait = { $minutes ->
    [one] about a minute
   *[other] about { $minutes } minutes
 }
