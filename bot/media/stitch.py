"""Join clips end to end into one MP4: packet copy when they match, re-encoding when they do not."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.container
import av.error
import av.stream

from bot.media.probe import ClipFormat, first_video_stream, read_clip_format
from bot.media.transcode import MP4_OPTIONS, AudioTarget, VideoTarget, reencode

logger = logging.getLogger(__name__)

#: Quality of re-encoded joins (lower is better; 18-23 is visually near-lossless for x264).
STITCH_CRF = 20
STITCH_AUDIO_BIT_RATE = 128_000
#: Copying packets is only safe when each clip's sound and picture are this close in length.
MAX_AV_LENGTH_GAP = Fraction(1, 10)


class _CannotCopy(Exception):
    """Packet copy hit something a plain join cannot express; re-encode instead."""


@dataclass
class _Track:
    """Where one output stream has got to, in seconds and in decode order."""

    output: av.stream.Stream
    end: Fraction | None = None
    last_dts: Fraction | None = None


def stitch_videos(paths: Sequence[Path], dest: Path) -> Path:
    """Write the clips, in order, into dest as one MP4 and return dest."""
    if not paths:
        raise ValueError("stitch_videos needs at least one clip")
    clips = [read_clip_format(path) for path in paths]
    if _can_copy(clips):
        try:
            _copy_packets(paths, dest)
            return dest
        except (_CannotCopy, av.error.FFmpegError, ValueError) as err:
            logger.info("packet copy failed (%s); re-encoding instead", err)
            dest.unlink(missing_ok=True)
    video, audio = _reencode_targets(clips)
    reencode(paths, dest, video=video, audio=audio)
    return dest


def _can_copy(clips: Sequence[ClipFormat]) -> bool:
    """Whether every clip has the first one's codec parameters, and sound as long as its picture."""
    first = clips[0]
    for clip in clips:
        same_video = (clip.codec, clip.coded_width, clip.coded_height, clip.pix_fmt, clip.extradata) == (
            first.codec,
            first.coded_width,
            first.coded_height,
            first.pix_fmt,
            first.extradata,
        )
        if not same_video or clip.rotation != first.rotation:
            return False
        if (clip.audio is None) != (first.audio is None):
            return False
        if clip.audio is not None and first.audio is not None:
            if (clip.audio.codec, clip.audio.sample_rate, clip.audio.layout, clip.audio.extradata) != (
                first.audio.codec,
                first.audio.sample_rate,
                first.audio.layout,
                first.audio.extradata,
            ):
                return False
            if clip.video_duration is None or clip.audio.duration is None:
                return False
            if abs(clip.video_duration - clip.audio.duration) > MAX_AV_LENGTH_GAP:
                return False
    return True


def _copy_packets(paths: Sequence[Path], dest: Path) -> None:
    """Remux every clip's packets into dest, shifting each stream so it starts where it ended before."""
    with av.open(str(dest), "w", format="mp4", options=dict(MP4_OPTIONS)) as output:
        tracks = _open_tracks(paths[0], output)
        for path in paths:
            with av.open(str(path), "r") as container:
                _copy_clip(container, tracks, output)


def _open_tracks(first: Path, output: av.container.OutputContainer) -> dict[str, _Track]:
    """Output streams copied from the first clip's video (and audio) stream parameters."""
    with av.open(str(first), "r") as container:
        tracks = {"video": _Track(output.add_stream_from_template(first_video_stream(container)))}
        if container.streams.audio:
            tracks["audio"] = _Track(output.add_stream_from_template(container.streams.audio[0]))
    return tracks


def _copy_clip(
    container: av.container.InputContainer, tracks: dict[str, _Track], output: av.container.OutputContainer
) -> None:
    """Mux one clip's packets with timestamps moved to follow the previous clip."""
    video = first_video_stream(container)
    streams: list[av.stream.Stream] = [video]
    if "audio" in tracks:
        streams.append(container.streams.audio[0])
    shifts: dict[str, int] = {}
    ends: dict[str, Fraction] = {}
    for packet in container.demux(streams):
        if packet.dts is None or packet.pts is None:
            continue  # the demuxer's end-of-stream marker
        kind = packet.stream.type
        track = tracks[kind]
        time_base = packet.time_base
        if kind not in shifts:
            # The stream's presentation start (after any edit list) lands where the previous clip ended.
            start = packet.stream.start_time if packet.stream.start_time is not None else packet.pts
            shifts[kind] = 0 if track.end is None else round(track.end / time_base) - start
        pts, dts = packet.pts + shifts[kind], packet.dts + shifts[kind]
        if track.end is not None and pts * time_base < track.end:
            if kind == "video":
                raise _CannotCopy("a picture starts before its clip")
            continue  # encoder priming sound of a later clip: it would overlap the previous clip
        if track.last_dts is not None and dts * time_base <= track.last_dts:
            raise _CannotCopy(f"{kind} timestamps would go backwards")
        packet.pts, packet.dts = pts, dts
        track.last_dts = dts * time_base
        ends[kind] = max(ends.get(kind, Fraction(0)), (pts + (packet.duration or 0)) * time_base)
        packet.stream = track.output
        output.mux(packet)
    for name, end in ends.items():
        tracks[name].end = end


def _reencode_targets(clips: Sequence[ClipFormat]) -> tuple[VideoTarget, AudioTarget | None]:
    """H.264 at the first clip's size and rate; AAC shaped like the first clip that has sound."""
    first = clips[0]
    video = VideoTarget(
        width=first.coded_width - first.coded_width % 2,
        height=first.coded_height - first.coded_height % 2,
        frame_rate=first.frame_rate,
        rotation=first.rotation,
        crf=STITCH_CRF,
    )
    sound = next((clip.audio for clip in clips if clip.audio is not None), None)
    if sound is None:
        return video, None
    layout = "stereo" if sound.channels >= 2 else "mono"
    return video, AudioTarget(sample_rate=sound.sample_rate, layout=layout, bit_rate=STITCH_AUDIO_BIT_RATE)
