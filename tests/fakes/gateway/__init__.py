"""A fake APIYI VEO 3.1 gateway over real loopback HTTP, reproducing /work/shared/apiyi-docs.

In-process::

    async with FakeGateway(api_key="sk-test-key", generation_seconds=0.2) as gw:
        gw.base_url          # "http://127.0.0.1:<port>/v1"
        gw.requests          # every request received (method, path, headers, JSON, form, files)

As a process (prints its base URL as the first line of stdout, stops on SIGTERM or SIGINT)::

    python -m tests.fakes.gateway --port 0 --generation-seconds 2 --video-bytes 5000000

What it serves (see the docs for the real thing):
- POST /v1/chat/completions: the Reverse sync stream (`> 🏃 Progress: 45.0%`, one
  `> ✅ Video i complete, [click here](URL) to view~~~` per video, `data: [DONE]`), with the documented 400s.
- POST /v1/videos (JSON or multipart), GET /v1/videos/{id}, GET /v1/videos/{id}/content for both channels:
  Reverse ids `video_...`, progress as "NN%", /content answers JSON with a `url`; Official ids `task_...` with
  `id` and `task_id`, statuses queued/in_progress/completed, progress 0/50/100, /content streams the MP4 and
  answers 400 for `content_delay_seconds` after completion.
- GET /files/<name>.mp4 on a second port (another origin, like the real CDN), no auth needed.
Task progress follows the injectable `clock`; streams pace themselves in real time over `generation_seconds`.

Prompt markers (anywhere in the prompt). `#name:N` applies the fault only to the first N requests that carry
that exact prompt (so `#500:1` fails once and then succeeds); without `:N` it applies every time.
    #policy    generation fails with PUBLIC_ERROR_PROMINENT_PEOPLE_FILTER_FAILED (`❌` line / failed task)
    #audio     generation fails with PUBLIC_ERROR_AUDIO_FILTERED
    #fail      generation fails without a content-policy reason
    #400 #401 #403 #404 #429 #500 #502 #503   the submit answers that status (429 carries Retry-After)
    #drop      the submit's connection is closed without an answer
    #cut       the stream is closed abruptly mid-way, before any URL
    #nourl     the stream ends normally ([DONE]) without any URL
    #stall     the stream goes silent after the first progress line (connection kept open)
    #longline  mid-way the stream sends one `data:` line of LONG_LINE_BYTES (2 MiB) with no line break
    #slow      generation takes `slow_factor` times longer
    #huge      the video is served with a Content-Length of `huge_bytes` (bigger than the client's cap)
    #truncate  the video is served with its full Content-Length but the connection closes half-way
    #chunked   the video is served without a Content-Length
    #reasoning the stream puts its text in `delta.reasoning_content`
    #videotag  the stream announces videos as `<video src='URL'>` instead of markdown links
    #split     the stream splits its text (and its bytes) at awkward places
    #json      stream=true is ignored: one whole chat.completion JSON arrives after the generation

Modules: `models` (the documented model table), `tasks` (constants, records, the task model, the clock),
`server` (FakeGateway and the process mode), `handlers` (shared handler base, task status, /content, CDN
files), `chat` (the sync stream), `videos` (task creation).

Programmable faults: `gw.inject(fault, count=1, path_prefix="/v1/videos/", method="GET")` applies `fault` (a
marker name without `#`, e.g. "502", "429", "drop", "cut", "truncate") to the next `count` matching requests.
"""

from tests.fakes.gateway.models import DOC_MODELS, DocModel
from tests.fakes.gateway.server import FakeGateway, main
from tests.fakes.gateway.tasks import (
    ALL_FAULTS,
    AUDIO_REASON,
    FAIL_REASON,
    LONG_LINE_BYTES,
    POLICY_REASON,
    FakeStats,
    FakeTask,
    ManualClock,
    RecordedFile,
    RecordedRequest,
)

__all__ = [
    "ALL_FAULTS",
    "AUDIO_REASON",
    "DOC_MODELS",
    "FAIL_REASON",
    "LONG_LINE_BYTES",
    "POLICY_REASON",
    "DocModel",
    "FakeGateway",
    "FakeStats",
    "FakeTask",
    "ManualClock",
    "RecordedFile",
    "RecordedRequest",
    "main",
]
