"""Voice channels as a plain pipeline: (speaker, PCM frame) in, spoken replies out as Opus.

Discord delivers each speaker's audio as 20 ms frames of 48 kHz stereo 16-bit PCM (after
Opus decoding). Silero VAD (the ONNX model faster-whisper carries) cuts every speaker's
stream into utterances on its own, so people talking over each other become separate
turns; each utterance goes through the agent like a voice note, in the order they end,
and what should be heard comes back as Opus frames ready for `VoiceClient.play`: the spoken
reply sentence by sentence as each is synthesised, or the audio the turn made.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import discord
import numpy as np
from scipy import signal

from bots import commands
from core_agent import logs
from core_agent.agent import Agent
from core_agent.types import Artifact, Attachment, Kind, Message, Reply
from media.audio import Audio
from media.decode import decode, written

PCM_RATE = 48_000  # Hz, what Discord sends and plays
PCM_CHANNELS = 2
FRAME_SAMPLES = 960  # per channel: 20 ms at 48 kHz
FRAME_BYTES = FRAME_SAMPLES * PCM_CHANNELS * 2
VAD_RATE = 16_000  # Hz, what Silero VAD takes
VAD_WINDOW = 512  # samples (32 ms) per speech probability
START_PROB = 0.5  # a window this likely to be speech starts an utterance
END_PROB = 0.35  # below this a window counts as quiet
END_SILENCE = 0.6  # seconds of quiet (or of no frames: Discord stops sending) that end one
PRE_ROLL = 0.3  # seconds kept from before the speech started
MIN_SPEECH = 0.3  # seconds; shorter blips (coughs, clicks) are no turn
MAX_UTTERANCE = 30.0  # seconds; longer speech is sent in parts
IDLE_CHECK = 0.05  # seconds between checks for speakers who stopped sending

log = logging.getLogger(__name__)
ReplyHook = Callable[["Speaker", Reply], Awaitable[None]]


@dataclass(frozen=True)
class Speaker:
    """Who is talking, as the access rules and memory know them."""

    id: int
    name: str
    roles: tuple[int, ...] = ()


def pcm_to_mono(pcm: bytes) -> np.ndarray:
    """Interleaved 16-bit stereo PCM -> float32 mono."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    return samples.reshape(-1, PCM_CHANNELS).mean(axis=1)


class Segmenter:
    """One speaker's stream cut into utterances (48 kHz mono) by Silero VAD."""

    def __init__(self) -> None:
        from faster_whisper.vad import get_vad_model

        self._vad = get_vad_model()
        self._pending = np.zeros(0, np.float32)  # 16 kHz audio not yet in a window
        self._previous = np.zeros(VAD_WINDOW, np.float32)  # context for the next window
        self._reset()

    def _reset(self) -> None:
        self._frames: list[np.ndarray] = []
        self._speaking = False
        self._speech = self._quiet = 0.0  # seconds

    def push(self, pcm: bytes) -> list[np.ndarray]:
        """Add a frame; returns the utterances it completed."""
        mono = pcm_to_mono(pcm)
        self._frames.append(mono)
        self._pending = np.concatenate(
            [self._pending, signal.resample_poly(mono, VAD_RATE, PCM_RATE).astype(np.float32)])
        done: list[np.ndarray] = []
        while len(self._pending) >= VAD_WINDOW:
            window, self._pending = self._pending[:VAD_WINDOW], self._pending[VAD_WINDOW:]
            if (utterance := self._step(self._probability(window))) is not None:
                done.append(utterance)
        if not self._speaking:  # keep only the pre-roll
            keep = int(PRE_ROLL * PCM_RATE / FRAME_SAMPLES) or 1
            self._frames = self._frames[-keep:]
        return done

    def flush(self) -> np.ndarray | None:
        """End the current utterance now (the speaker went quiet without trailing frames)."""
        utterance = self._cut() if self._speaking else None
        self._reset()
        return utterance

    @property
    def speaking(self) -> bool:
        """Whether an utterance is open."""
        return self._speaking

    @property
    def quiet(self) -> float:
        """Seconds of quiet at the end of the open utterance."""
        return self._quiet

    def _probability(self, window: np.ndarray) -> float:
        probs = self._vad(np.concatenate([self._previous, window]))  # row 2 sees row 1's tail
        self._previous = window
        return float(np.asarray(probs).reshape(-1)[-1])

    def _step(self, prob: float) -> np.ndarray | None:
        seconds = VAD_WINDOW / VAD_RATE
        if not self._speaking:
            self._speaking = prob >= START_PROB
            self._speech = seconds if self._speaking else 0.0
            return None
        if prob < END_PROB:
            self._quiet += seconds
        else:
            self._quiet, self._speech = 0.0, self._speech + seconds
        length = len(self._frames) * FRAME_SAMPLES / PCM_RATE
        if self._quiet >= END_SILENCE or length >= MAX_UTTERANCE:
            utterance = self._cut()
            self._reset()
            return utterance
        return None

    def _cut(self) -> np.ndarray | None:
        if self._speech < MIN_SPEECH:
            return None
        return np.concatenate(self._frames)


def frame_samples(packet: bytes) -> int:
    """How many samples (per channel, at 48 kHz) an Opus packet holds."""
    opus = discord.opus.Decoder
    opus.get_opus_version()  # loads libopus (OpusNotLoaded without it)
    return opus.packet_get_nb_frames(packet) * opus.packet_get_samples_per_frame(packet)


class OpusFrames(discord.AudioSource):
    """A reply as 20 ms Opus packets at 48 kHz, ready ahead of playback."""

    def __init__(self, packets: list[bytes]) -> None:
        self.packets = packets
        self._next = 0

    @classmethod
    def from_file(cls, path: Path) -> OpusFrames:
        """A file we made: an OGG/Opus one in 20 ms frames (every voice note) played as its
        own packets, with no decode and no re-encode (discord.py's FFmpegOpusAudio copies
        such a file's packets too); anything else decoded and encoded. Mono packets need no
        stereo copy: each packet says its channels (RFC 6716), and a stereo decoder, as
        Discord's clients run, plays a mono one on both."""
        import av

        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            packets = [bytes(p) for p in container.demux(stream) if p.size] \
                if stream.codec_context.name == "opus" else []  # headers are not demuxed
        if packets and all(frame_samples(p) == FRAME_SAMPLES for p in packets):
            return cls(packets)
        return cls.encode(path)

    @classmethod
    def encode(cls, path: Path) -> OpusFrames:
        """Decode any audio file with ffmpeg and encode it with libopus (48 kHz stereo)."""
        audio = decode(path, PCM_RATE, mono=False)
        stereo = audio.samples if audio.channels == PCM_CHANNELS else \
            np.repeat(audio.mono[:, None], PCM_CHANNELS, axis=1)
        pad = -len(stereo) % FRAME_SAMPLES
        pcm = (np.clip(np.pad(stereo, ((0, pad), (0, 0))), -1, 1) * 32767).astype("<i2")
        encoder = discord.opus.Encoder()
        return cls([encoder.encode(pcm[i:i + FRAME_SAMPLES].tobytes(), FRAME_SAMPLES)
                    for i in range(0, len(pcm), FRAME_SAMPLES)])

    def read(self) -> bytes:
        if self._next >= len(self.packets):
            return b""
        self._next += 1
        return self.packets[self._next - 1]

    def is_opus(self) -> bool:
        return True


def heard_in_channel(reply: Reply) -> list[Path]:
    """What a voice channel hears of a reply: the audio it made, else the reply spoken (as
    one voice note; the pipeline has the agent hand it over in parts instead)."""
    made = [a.path for a in reply.artifacts if a.kind == Kind.AUDIO]
    return made or ([reply.voice.path] if reply.voice else [])


@dataclass
class VoicePipeline:
    """One voice channel's listening and answering; feed it frames from any thread."""

    agent: Agent
    channel_id: str  # memory's channel, e.g. "discord:<voice channel id>"
    scopes: list[str]  # guild and channel scopes; speakers' roles are added per turn
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # the channel's turn lock
    on_reply: ReplyHook | None = None  # e.g. post the text in the channel's chat
    playback: asyncio.Queue[OpusFrames] = field(default_factory=asyncio.Queue)

    def __post_init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._inbox: asyncio.Queue[tuple[Speaker, bytes]] = asyncio.Queue()
        self._utterances: asyncio.Queue[tuple[Speaker, np.ndarray]] = asyncio.Queue()
        self._segmenters: dict[int, Segmenter] = {}
        self._last_frame: dict[int, float] = {}
        self._speakers: dict[int, Speaker] = {}
        self._folder = tempfile.TemporaryDirectory(prefix="audiogpt-voice-")

    def feed(self, speaker: Speaker, pcm: bytes) -> None:
        """One 20 ms frame from a speaker (thread-safe: voice receive runs in its own)."""
        self._loop.call_soon_threadsafe(self._inbox.put_nowait, (speaker, pcm))

    async def run(self) -> None:
        """Listen and answer until cancelled; replies are spoken in the voice channel."""
        await commands.set_voice(self.agent, "discord", self.channel_id, True)
        answering = asyncio.create_task(self._answer())
        try:
            while True:
                try:  # not wait_for: on 3.11 it can lose a cancel as a frame arrives
                    async with asyncio.timeout(IDLE_CHECK):
                        speaker, pcm = await self._inbox.get()
                    self._hear(speaker, pcm)
                except TimeoutError:
                    pass
                self._end_idle()  # also while others talk: their frames keep the inbox busy
        finally:
            answering.cancel()
            await asyncio.gather(answering, return_exceptions=True)
            self._folder.cleanup()

    def _hear(self, speaker: Speaker, pcm: bytes) -> None:
        segmenter = self._segmenters.setdefault(speaker.id, Segmenter())
        self._last_frame[speaker.id] = self._loop.time()
        self._speakers[speaker.id] = speaker
        for utterance in segmenter.push(pcm):
            self._utterances.put_nowait((speaker, utterance))

    def _end_idle(self) -> None:
        """End the utterances of speakers whose client stopped sending (after its few
        silence frames): the time without frames counts as quiet."""
        now = self._loop.time()
        for user, segmenter in self._segmenters.items():
            gap = now - self._last_frame[user]
            if segmenter.speaking and segmenter.quiet + gap >= END_SILENCE and \
                    (utterance := segmenter.flush()) is not None:
                self._utterances.put_nowait((self._speakers[user], utterance))

    async def _answer(self) -> None:
        count = 0
        while True:
            speaker, utterance = await self._utterances.get()
            count += 1
            try:
                await self._turn(speaker, utterance, count)
            except Exception as err:
                logs.failure(log, err, "voice turn in %s", self.channel_id)

    async def _turn(self, speaker: Speaker, utterance: np.ndarray, count: int) -> None:
        path = await asyncio.to_thread(written, Audio(utterance, PCM_RATE),
                                       Path(self._folder.name) / f"u{count}.wav")
        message = Message(
            channel_id=self.channel_id, author=speaker.name, platform="discord",
            user_id=f"discord:user:{speaker.id}",
            scopes=[*self.scopes, *(f"discord:role:{r}" for r in speaker.roles)],
            attachments=[Attachment(path=path, filename=f"voice-{speaker.name}.wav")])
        async with self.lock:
            reply = await self.agent.handle(message, on_voice=self._play_part)
        path.unlink(missing_ok=True)
        for heard in heard_in_channel(reply):  # the audio it made; its words came in parts
            self.playback.put_nowait(await asyncio.to_thread(OpusFrames.from_file, heard))
        if self.on_reply is not None:
            await self.on_reply(speaker, reply)

    async def _play_part(self, voice: Artifact) -> None:
        """One sentence of the spoken reply, queued as soon as it is synthesised."""
        try:
            self.playback.put_nowait(await asyncio.to_thread(OpusFrames.from_file, voice.path))
        except Exception as err:  # an unreadable part costs that part, not the turn
            logs.failure(log, err, "spoken part %s in %s", voice.handle, self.channel_id)
