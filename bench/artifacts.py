"""Raw data of a run written next to the logs (with --workdir), for looking into a result afterwards."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.floor import JobFloor
from bench.wire import ApiCall, MessageKey


def save_artifacts(
    folder: Path,
    *,
    injected: Mapping[MessageKey, float],
    floors: Mapping[MessageKey, JobFloor],
    calls: Sequence[ApiCall],
    memory_timeline: Sequence[tuple[float, int]],
) -> None:
    """Write calls.jsonl, injected.jsonl (with job floors), memory.csv; seconds after the first injection."""
    origin = min(injected.values(), default=0.0)
    with (folder / "calls.jsonl").open("w") as out:
        for call in calls:
            row = call.model_dump(exclude={"params"})
            row["time"] = round(call.time - origin, 4)
            row["chat_id"] = call.chat_id
            row["message_id"] = call.params.get("message_id")
            row["replies_to"] = call.replied_message_id
            out.write(json.dumps(row) + "\n")
    with (folder / "injected.jsonl").open("w") as out:
        for key, at in injected.items():
            floor = floors.get(key)
            job = {
                "chat_id": key[0],
                "message_id": key[1],
                "time": round(at - origin, 4),
                "floor_ack": None if floor is None else round(floor.ack - origin, 4),
                "floor_video": None if floor is None else round(floor.video - origin, 4),
            }
            out.write(json.dumps(job) + "\n")
    with (folder / "memory.csv").open("w") as out:
        out.write("seconds,rss_bytes\n")
        out.writelines(f"{at - origin:.3f},{rss}\n" for at, rss in memory_timeline)
