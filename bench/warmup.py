"""One generation through the fake gateway before measuring, so its one-off MP4 encode is not counted."""

from __future__ import annotations

import re

import httpx

_VIDEO_LINK = re.compile(r"\((https?://[^)\s]+)\)")


class WarmUpFailed(Exception):
    """The fake gateway did not produce a video for the warm-up request."""


async def warm_up_gateway(base_url: str, api_key: str, model: str, *, generation_seconds: float) -> int:
    """Stream one video from /chat/completions and download it; returns its size in bytes."""
    timeout = httpx.Timeout(generation_seconds + 60.0, connect=5.0)
    body = {"model": model, "stream": True, "messages": [{"role": "user", "content": "warm-up"}]}
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(timeout=timeout) as client:
        text = []
        async with client.stream("POST", f"{base_url}/chat/completions", json=body, headers=headers) as reply:
            if reply.status_code != 200:
                raise WarmUpFailed(f"warm-up stream answered HTTP {reply.status_code}")
            async for line in reply.aiter_lines():
                text.append(line)
        found = _VIDEO_LINK.search("".join(text))
        if found is None:
            raise WarmUpFailed("warm-up stream carried no video link")
        video = await client.get(found.group(1))
        if video.status_code != 200:
            raise WarmUpFailed(f"warm-up download answered HTTP {video.status_code}")
        return len(video.content)
