"""Any audio or video file's sound as samples, cut at a length limit as it decodes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core_agent.errors import MediaError
from media import ffmpeg, pcm
from media.audio import ASR_RATE, Audio
from media.containers import identify, read_head
from media.encode import write_wav
from media.probe import FACTS, WRITTEN, MediaInfo, TooLong, probe

# What any one decode may yield, whatever a file's header says: above every sensible
# AUDIOGPT_MAX_AUDIO_SECONDS. Uploads are held to the configured limit at ingest, by
# decoding them (`probe(..., max_seconds=...)`).
DECODE_LIMIT_SECONDS = 2 * 3600


def written(audio: Audio, path: Path) -> Path:
    """Write a recording of ours (a voice channel's utterance) as 16-bit WAV, and remember
    what it holds and its samples at speech recognition's rate, so that taking it in as an
    upload needs no ffmpeg child: the probe and the decode find them by the file's content."""
    from scipy import signal  # its import is slow; this runs in a voice channel only

    write_wav(audio, path)
    container = identify(read_head(path))
    assert container is not None  # soundfile wrote a RIFF/WAVE header
    WRITTEN.keep(path, FACTS, MediaInfo("audio", container.demuxer, audio.duration,
                                        audio.sample_rate, audio.channels,
                                        container=container.subtype))
    mono = audio.mono if audio.sample_rate == ASR_RATE else signal.resample_poly(
        audio.mono, ASR_RATE, audio.sample_rate)
    pcm.MEMO.put(path, ASR_RATE, np.clip(mono, -1.0, 1.0).astype(np.float32),
                 pcm.identity(path))
    return path


def decode(path: Path, sample_rate: int = ASR_RATE, mono: bool = True,
           max_seconds: float = DECODE_LIMIT_SECONDS) -> Audio:
    """Decode any audio or video file's sound to float32 samples, at most `max_seconds`
    of it (TooLong beyond: the samples are counted as they arrive). Mono samples this
    process has just decoded from the same content (the upload's length check) are reused."""
    if mono and (kept := pcm.MEMO.get(path, sample_rate)) is not None:
        if kept.size > int(max_seconds * sample_rate):
            raise TooLong(max_seconds)
        return Audio(kept, sample_rate)
    channels = 1 if mono else min(probe(path).channels or 1, 8)
    try:
        raw, _ = ffmpeg.run(pcm.pcm_args(path, sample_rate, channels),
                            limit=int(max_seconds * sample_rate) * channels * 4)
    except ffmpeg.OutputTooLong as err:
        raise TooLong(max_seconds) from err
    samples = np.frombuffer(raw, dtype=np.float32)
    if samples.size == 0:
        raise MediaError("the file has no sound in it")
    if not mono:
        samples = samples[:samples.size - samples.size % channels].reshape(-1, channels)
    return Audio(samples.copy(), sample_rate)
