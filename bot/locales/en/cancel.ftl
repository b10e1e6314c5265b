# /cancel (handlers/cancel.py)
cancel-done = { $count ->
    [one] ✋ Cancelled one waiting video. Nothing was charged.
   *[other] ✋ Cancelled { $count } waiting videos. Nothing was charged.
 }
cancel-nothing = You have no videos waiting.
cancel-nothing-running = Your videos are already being generated and can't be stopped (the video service has no cancel). You pay only if they are delivered.
command-cancel = Cancel videos that haven't started
