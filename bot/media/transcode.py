"""Re-encode clips, in order, into one H.264/AAC MP4: the shared engine behind fit_video and stitch_videos.

Packets stream from each input through the decoder, a scaler and the encoder one at a time, so memory
stays flat whatever the length. Audio timestamps are rebuilt from sample counts and every clip's sound is
trimmed or padded with silence to the clip's picture length, so sound and picture stay in step.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.audio.stream
import av.container
import av.error
import av.video.stream
from PIL import ImageOps

from bot.media.errors import MediaError
from bot.media.frames import TRANSPOSE_FOR_ROTATION, frame_to_image
from bot.media.probe import READ_ERRORS, first_video_stream, normalized_rotation, stream_seconds

logger = logging.getLogger(__name__)

#: x264 speed/quality trade-off; "veryfast" keeps a bot's CPU free at a small cost in size.
H264_PRESET = "veryfast"
#: Fine enough for any frame rate, so clips of different rates keep their exact timing.
VIDEO_TIME_BASE = Fraction(1, 90_000)
MP4_OPTIONS: Mapping[str, str] = {"movflags": "+faststart"}
SILENCE_CHUNK = 1024


@dataclass(frozen=True)
class VideoTarget:
    """The output picture: stored size, display rotation, frame rate and either a bit rate or a CRF."""

    width: int
    height: int
    frame_rate: Fraction
    rotation: int = 0
    #: Average bits per second (capped by the VBV to the same rate); None means constant quality.
    bit_rate: int | None = None
    crf: int = 23


@dataclass(frozen=True)
class AudioTarget:
    """The output sound: AAC at this rate, channel layout and bit rate."""

    sample_rate: int
    layout: str
    bit_rate: int


def reencode(clips: Sequence[Path], dest: Path, *, video: VideoTarget, audio: AudioTarget | None) -> None:
    """Write the clips one after another into dest; MediaError if an input or the encoder fails."""
    try:
        with av.open(str(dest), "w", format="mp4", options=dict(MP4_OPTIONS)) as output:
            writer = _Writer(output, video, audio)
            offset = Fraction(0)
            for clip in clips:
                offset = _append_clip(clip, writer, offset)
            writer.finish()
    except MediaError:
        dest.unlink(missing_ok=True)
        raise
    except READ_ERRORS as err:
        dest.unlink(missing_ok=True)
        logger.warning("re-encoding into %s failed: %s", dest.name, err)
        raise MediaError("The video could not be converted.", code="encode_failed") from err


class _Writer:
    """Owns the output streams: conforms frames to the target and keeps timestamps increasing."""

    def __init__(
        self, output: av.container.OutputContainer, video: VideoTarget, audio: AudioTarget | None
    ) -> None:
        self._output = output
        self.video_target = video
        self.audio_target = audio
        options = {"preset": H264_PRESET}
        if video.bit_rate is None:
            options["crf"] = str(video.crf)
        else:
            options["maxrate"] = str(video.bit_rate)
            options["bufsize"] = str(video.bit_rate)
        self._video = output.add_stream("libx264", rate=video.frame_rate, options=options)
        self._video.width = video.width
        self._video.height = video.height
        self._video.pix_fmt = "yuv420p"
        self._video.codec_context.time_base = VIDEO_TIME_BASE
        if video.bit_rate is not None:
            self._video.bit_rate = video.bit_rate
        if video.rotation:
            self._video.set_display_rotation(video.rotation)
        self._audio: av.audio.stream.AudioStream | None = None
        if audio is not None:
            self._audio = output.add_stream("aac", rate=audio.sample_rate)
            self._audio.layout = audio.layout
            self._audio.bit_rate = audio.bit_rate
        self._last_video_pts = -1
        self.samples_written = 0

    def add_video(self, frame: av.VideoFrame, at: Fraction, rotation: int) -> None:
        """Encode a frame to show at `at` seconds; a frame that would not move time forward is dropped."""
        pts = round(at / VIDEO_TIME_BASE)
        if pts <= self._last_video_pts:
            return
        self._last_video_pts = pts
        conformed = self._conform(frame, rotation)
        conformed.pts = pts
        conformed.time_base = VIDEO_TIME_BASE
        self._output.mux(self._video.encode(conformed))

    def add_audio(self, frame: av.AudioFrame, *, limit: int | None) -> None:
        """Encode resampled sound, cut so the running total never passes `limit` samples."""
        if self._audio is None or self.audio_target is None:
            return
        samples = frame.samples
        if limit is not None:
            samples = min(samples, limit - self.samples_written)
        if samples <= 0:
            return
        if samples < frame.samples:
            frame = _truncated(frame, samples)
        frame.pts = self.samples_written
        frame.time_base = Fraction(1, self.audio_target.sample_rate)
        self.samples_written += frame.samples
        self._output.mux(self._audio.encode(frame))

    def pad_audio_to(self, seconds: Fraction) -> None:
        """Fill with silence up to the given time, so the next clip's sound starts with its picture."""
        if self.audio_target is None:
            return
        target = round(seconds * self.audio_target.sample_rate)
        while self.samples_written < target:
            count = min(SILENCE_CHUNK, target - self.samples_written)
            silence = av.AudioFrame(format="fltp", layout=self.audio_target.layout, samples=count)
            for plane in silence.planes:
                plane.update(bytes(plane.buffer_size))
            silence.sample_rate = self.audio_target.sample_rate
            self.add_audio(silence, limit=None)

    def finish(self) -> None:
        """Drain both encoders."""
        self._output.mux(self._video.encode())
        if self._audio is not None:
            self._output.mux(self._audio.encode())

    def _conform(self, frame: av.VideoFrame, rotation: int) -> av.VideoFrame:
        """Scale (and if needed turn and letterbox) a frame to the target's stored size, as yuv420p."""
        target = self.video_target
        turn = normalized_rotation(rotation - target.rotation)
        width, height = (frame.height, frame.width) if turn in (90, -90) else (frame.width, frame.height)
        if turn == 0 and _same_shape(width, height, target.width, target.height):
            return frame.reformat(width=target.width, height=target.height, format="yuv420p")
        # Rare path (a clip of another shape or rotation): go through Pillow to turn and letterbox.
        image = frame_to_image(frame)
        if turn in TRANSPOSE_FOR_ROTATION:
            image = image.transpose(TRANSPOSE_FOR_ROTATION[turn])
        boxed = ImageOps.pad(image, (target.width, target.height), color=(0, 0, 0))
        rgba = boxed.convert("RGBA").tobytes()
        return av.VideoFrame.from_bytes(rgba, boxed.width, boxed.height, format="rgba").reformat(
            format="yuv420p"
        )


def _same_shape(width: int, height: int, other_width: int, other_height: int) -> bool:
    """Whether two sizes have the same aspect ratio, give or take the 1% lost to rounding."""
    ratio = Fraction(width, height)
    other = Fraction(other_width, other_height)
    return abs(ratio - other) <= other / 100


def _append_clip(path: Path, writer: _Writer, offset: Fraction) -> Fraction:
    """Decode one clip into the writer starting at `offset` seconds; return where the clip ends."""
    with av.open(str(path), "r") as container:
        video = first_video_stream(container)
        video.thread_type = "AUTO"
        audio = container.streams.audio[0] if container.streams.audio and writer.audio_target else None
        resampler = _resampler(writer.audio_target) if audio is not None else None
        audio_limit = _audio_limit(writer, container, video, offset)
        frame_step = 1 / (video.average_rate or video.guessed_rate or Fraction(24))
        origin = (video.start_time or 0) * (video.time_base or 0)
        start: Fraction | None = None
        length = Fraction(0)
        rotation = 0
        sound_started = False
        streams = [video] if audio is None else [video, audio]
        for packet in container.demux(streams):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError as err:
                logger.debug("skipping an undecodable packet in %s: %s", path.name, err)
                continue
            for frame in frames:
                if isinstance(frame, av.VideoFrame):
                    if frame.pts is None or frame.time_base is None:
                        continue
                    at = frame.pts * frame.time_base
                    if start is None:
                        start = at
                        rotation = normalized_rotation(frame.rotation)
                    shown_for = frame.duration * frame.time_base if frame.duration else frame_step
                    length = max(length, at - start + shown_for)
                    # After this the frame may carry the output's timestamps (reformat can return it as is).
                    writer.add_video(frame, offset + at - start, rotation)
                elif isinstance(frame, av.AudioFrame) and resampler is not None:
                    if not sound_started and frame.pts is not None and frame.time_base is not None:
                        # Sound that starts after the picture keeps its delay; later on, samples are counted.
                        writer.pad_audio_to(offset + max(Fraction(0), frame.pts * frame.time_base - origin))
                    sound_started = True
                    frame.pts = None
                    for resampled in resampler.resample(frame):
                        writer.add_audio(resampled, limit=audio_limit)
        if resampler is not None:
            for resampled in resampler.resample(None):
                writer.add_audio(resampled, limit=audio_limit)
    if start is None:
        raise MediaError(f"{path.name} has no decodable picture.", code="not_a_video")
    end = offset + length
    writer.pad_audio_to(end)
    return end


def _resampler(target: AudioTarget | None) -> av.AudioResampler | None:
    """A converter to the encoder's sample format, layout and rate."""
    if target is None:
        return None
    return av.AudioResampler(format="fltp", layout=target.layout, rate=target.sample_rate)


def _audio_limit(
    writer: _Writer,
    container: av.container.InputContainer,
    video: av.video.stream.VideoStream,
    offset: Fraction,
) -> int | None:
    """The running sample count at which this clip's picture ends (from headers), to trim longer sound."""
    if writer.audio_target is None:
        return None
    length = stream_seconds(video)
    if length is None and container.duration:
        length = Fraction(container.duration, av.time_base)
    if length is None:
        return None
    return round((offset + length) * writer.audio_target.sample_rate)


def _truncated(frame: av.AudioFrame, samples: int) -> av.AudioFrame:
    """The first `samples` samples of a planar frame, as a new frame."""
    cut = av.AudioFrame(format=frame.format.name, layout=frame.layout.name, samples=samples)
    for source, plane in zip(frame.planes, cut.planes, strict=True):
        plane.update(bytes(source)[: plane.buffer_size])
    cut.sample_rate = frame.sample_rate
    return cut
