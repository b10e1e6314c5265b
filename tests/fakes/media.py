"""Real, small media files made on the fly (nothing binary is committed)."""

from __future__ import annotations

import io
import math
from array import array
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image


def make_mp4(
    path: Path,
    *,
    width: int = 72,
    height: int = 128,
    seconds: float = 1.0,
    fps: int = 8,
    color: tuple[int, int, int] = (40, 120, 200),
    pad_to_bytes: int = 0,
    audio: bool = False,
) -> Path:
    """Write a real H.264 MP4 of the given size and length; optionally pad it to at least pad_to_bytes.

    Padding appends a `free` box, which MP4 readers skip, so the file stays a valid video.
    With audio=True the file also carries an AAC sine tone (48 kHz mono) as long as the video.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        tone = _ToneTrack(container) if audio else None
        frames = max(1, round(seconds * fps))
        for index in range(frames):
            shade = (color[0], color[1], (color[2] + index * 7) % 256)
            image = Image.new("RGB", (width, height), shade)
            frame = av.VideoFrame.from_image(image)
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
            if tone is not None:
                tone.write_until(Fraction(index + 1, fps))
        for packet in stream.encode():
            container.mux(packet)
        if tone is not None:
            tone.flush()
    size = path.stat().st_size
    if pad_to_bytes > size:
        pad = pad_to_bytes - size
        with path.open("ab") as handle:
            header = max(pad, 8)
            handle.write(header.to_bytes(4, "big") + b"free")
            remaining = header - 8
            chunk = b"\0" * (1 << 20)
            while remaining > 0:
                handle.write(chunk[: min(remaining, len(chunk))])
                remaining -= min(remaining, len(chunk))
    return path


class _ToneTrack:
    """A 440 Hz AAC sine tone written alongside the video, a chunk at a time."""

    RATE = 48_000

    def __init__(self, container: av.container.OutputContainer) -> None:
        self._container = container
        self._stream = container.add_stream("aac", rate=self.RATE)
        self._stream.layout = "mono"
        self._samples = 0

    def write_until(self, seconds: Fraction) -> None:
        """Encode the tone up to the given time."""
        end = round(seconds * self.RATE)
        if end <= self._samples:
            return
        wave = array(
            "h",
            (round(8000 * math.sin(2 * math.pi * 440 * n / self.RATE)) for n in range(self._samples, end)),
        )
        frame = av.AudioFrame(format="s16", layout="mono", samples=len(wave))
        frame.planes[0].update(wave.tobytes())
        frame.sample_rate = self.RATE
        frame.pts = self._samples
        frame.time_base = Fraction(1, self.RATE)
        self._samples = end
        self._container.mux(self._stream.encode(frame))

    def flush(self) -> None:
        """Drain the encoder."""
        self._container.mux(self._stream.encode())


def mp4_bytes(**kwargs: object) -> bytes:
    """A small MP4 as bytes (written through a temporary file)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = make_mp4(Path(folder) / "clip.mp4", **kwargs)  # type: ignore[arg-type]
        return path.read_bytes()


def make_image(
    *, width: int = 64, height: int = 96, fmt: str = "JPEG", color: tuple[int, int, int] = (200, 80, 40)
) -> bytes:
    """An image in the given Pillow format (JPEG, PNG, WEBP)."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format=fmt)
    return buffer.getvalue()
