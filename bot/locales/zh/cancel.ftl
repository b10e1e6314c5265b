# /cancel (handlers/cancel.py)
cancel-done = { $count ->
    [one] ✋ 已取消 1 个等待中的视频，未收取任何费用。
   *[other] ✋ 已取消 { $count } 个等待中的视频，未收取任何费用。
 }
cancel-nothing = 你没有等待中的视频。
cancel-nothing-running = 你的视频已经在生成中，无法停止（视频服务不支持取消）。只有成功送达才会计费。
command-cancel = 取消尚未开始的视频
