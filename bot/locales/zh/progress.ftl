# 视频任务的实时状态消息（bot/status/progress.py）。纯文本：图标和 HTML 由代码添加。

progress-title-queued = 等待开始
progress-title-submitting = 正在提交请求
progress-title-generating =
    { $count ->
        [1] 正在生成视频
       *[other] 正在生成 { $count } 个视频
    }
progress-title-downloading = 正在获取视频
progress-title-uploading = 正在把视频发给你
progress-title-delivered =
    { $count ->
        [1] 视频已生成
       *[other] { $count } 个视频已生成
    }

progress-model-line = 模型：{ $model } · { $count } 段视频

progress-queue-ahead =
    { $ahead ->
        [0] 下一个就轮到你了
       *[other] 排队中：前面还有 { $ahead } 个任务
    }

progress-stage-queued = 在网关排队中
progress-stage-rendering = 正在渲染
progress-stage-finishing = 即将完成
progress-step = 第 { $step } 步，共 { $total } 步

progress-videos-ready = 已完成 { $ready }/{ $total } 个视频
progress-partly-delivered = 只成功生成了 { $ready }/{ $total } 个视频。
progress-done-in = 用时 { $elapsed }

progress-failed-unknown = 生成视频时出了点问题。
progress-not-charged = 本次未扣费。
progress-queue-wait = 约 { $minutes } 分钟
