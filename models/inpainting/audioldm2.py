"""Audio inpainting with AudioLDM 2 in its latent space (neural catalog).

The recording around the gap is turned into the features AudioLDM's VAE was trained on
(16 kHz, 1024-point STFT, hop 160, 64 Slaney mel bands up to 8 kHz, log magnitude) and
encoded. Diffusion then starts from noise, and after every denoising step the latents of the
known sound are put back, noised to that step's level, so the model only invents the gap and
makes it meet its edges (the inpainting of the AudioLDM paper, RePaint-style). The VAE and
the vocoder decode the result; only the gap is taken from it, with short crossfades just
outside, into the recording at its own rate, so every other sample stays as it was.

Which gaps it takes: a latent frame is 40 ms, and the decoded sound is a re-synthesis,
never the original waveform. Below NEURAL_MIN_GAP a gap spans two or three latent frames,
while autoregressive extrapolation continues the very waveform on both sides, so short gaps
go to the signal-processing backend (LpcInpaint) and longer ones, where extrapolation fades
out and spectral interpolation only smears, are made up by the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from media.audio import Audio, resample
from models import stop
from models.catalog.checkpoints import NeuralBackend
from models.generation.audioldm2 import ENTRY, GUIDANCE, NEGATIVE, STEPS, load_pipeline
from models.inpainting.base import Inpainter
from models.inpainting.lpc import LpcInpaint

NEURAL_MIN_GAP = 0.1  # seconds; shorter gaps are extrapolated (see the module's docstring)
MAX_GAP = 8.0  # seconds; with the context, within the 10 s clips it was trained on
CONTEXT = 3.0  # seconds of recording either side that the model hears (and re-encodes)
FADE = 0.02  # seconds of crossfade just outside each edge of the gap
N_FFT = 1024  # AudioLDM's STFT: window and filter length, in samples at 16 kHz
LOG_FLOOR = 1e-5  # magnitudes are clamped here before the log, as in training
TRAINING_PEAK = 0.5  # AudioLDM's training clips were scaled to this peak
MARGIN = 1  # latent frames regenerated beyond those that hear the gap: the VAE's reach
SEED = 0  # the same gap is filled the same way each time
METHOD = "AudioLDM 2 latent diffusion (the sound around the gap kept as it was)"


def log_mel(x: np.ndarray, rate: int, hop: int, bands: int) -> Any:
    """AudioLDM's training features, (frames, bands): |STFT| (Hann, reflect-padded by
    (N_FFT - hop) / 2 each side, not centred) through librosa's Slaney mel bank from 0 Hz to
    half the rate, then the log of the magnitude clamped at LOG_FLOOR; len(x) / hop frames."""
    import librosa
    import torch

    pad = (N_FFT - hop) // 2
    y = torch.nn.functional.pad(torch.from_numpy(x)[None, None], (pad, pad), mode="reflect")
    spectrum = torch.stft(y[0, 0], N_FFT, hop_length=hop, win_length=N_FFT,
                          window=torch.hann_window(N_FFT), center=False,
                          return_complex=True).abs()
    bank = torch.from_numpy(librosa.filters.mel(sr=rate, n_fft=N_FFT, n_mels=bands, fmin=0,
                                                fmax=rate / 2)).float()
    return torch.log(torch.clamp(bank @ spectrum, min=LOG_FLOOR)).T


def gap_frames(start: int, end: int, hop: int, factor: int, frames: int) -> slice:
    """The latent frames to regenerate: those whose mel frames' STFT windows reach into
    samples [start, end), MARGIN more on each side, within `frames` latent frames."""
    pad = (N_FFT - hop) // 2
    first_mel = (start - N_FFT + pad) // hop + 1  # the first window ending after `start`
    end_mel = -(-(end + pad) // hop)  # the first window starting at or after `end`
    return slice(max(0, first_mel // factor - MARGIN),
                 min(frames, -(-end_mel // factor) + MARGIN))


def splice(x: np.ndarray, made: np.ndarray, offset: int, start: int, end: int, fade: int
           ) -> np.ndarray:
    """x with [start, end) taken from `made` (which begins at `offset` in x) and raised-cosine
    crossfades of up to `fade` samples just outside; every other sample is x's own."""
    weight = np.zeros(len(made))
    a, b = start - offset, end - offset
    weight[a:b] = 1.0
    left, right = min(fade, a), min(fade, len(made) - b)
    weight[a - left:a] = 0.5 - 0.5 * np.cos(np.pi * (np.arange(left) + 0.5) / left)
    weight[b:b + right] = 0.5 + 0.5 * np.cos(np.pi * (np.arange(right) + 0.5) / right)
    out = x.copy()
    span = slice(offset, offset + len(made))
    out[span] = np.where(weight > 0, (1 - weight) * x[span] + weight * made, x[span])
    return out


class AudioLdm2Inpaint(NeuralBackend, Inpainter):
    """audio_inpainting: the gap made up by AudioLDM 2 from the sound around it."""

    name = "audioldm2-inpaint"
    task = "audio_inpainting"
    model = "AudioLDM 2 latent inpainting (16 kHz), with Burg AR extrapolation for short gaps"
    license = "CC-BY-NC-SA-4.0 (weights), Apache-2.0 (diffusers)"
    install_hint = "audiogpt models pull audio_inpainting"
    requires = ("torch", "diffusers", "transformers", "librosa")
    entry = ENTRY  # the text_to_audio checkpoint: one pull serves both
    max_gap = MAX_GAP

    def __init__(self, folder: Path, steps: int = STEPS) -> None:
        """`steps` trades quality for time (each is one UNet pass over the window)."""
        super().__init__(folder)
        self.steps = steps
        self.short = LpcInpaint()

    def load(self) -> None:
        self.shared = load_pipeline(self.folder)
        vocoder = self.shared.pipe.vocoder.config
        self.sample_rate = int(vocoder.sampling_rate)
        self.hop = int(np.prod(vocoder.upsample_rates))  # mel frames per vocoder sample run
        self.bands = int(vocoder.model_in_dim)

    def fill(self, audio: Audio, start: float, end: float) -> tuple[Audio, str]:
        self.check_gap(audio, start, end)
        if end - start < NEURAL_MIN_GAP:
            return self.short.fill(audio, start, end)
        rate, x = audio.sample_rate, audio.mono.astype(np.float32)
        i, j = round(start * rate), round(end * rate)
        lo, hi = max(0, i - round(CONTEXT * rate)), min(len(x), j + round(CONTEXT * rate))
        window = resample(Audio(x[lo:hi], rate), self.sample_rate)
        g0 = round((i - lo) * self.sample_rate / rate)
        g1 = max(g0 + 1, round((j - lo) * self.sample_rate / rate))
        known = np.concatenate([window[:g0], window[g1:]])
        peak = float(np.abs(known).max(initial=0.0))
        scale = TRAINING_PEAK / peak if peak > 0 else 1.0
        made = self._inpaint(window * scale, g0, g1) / scale
        made = resample(Audio(made.astype(np.float32), self.sample_rate), rate)
        made = np.pad(made[:hi - lo], (0, max(0, hi - lo - len(made))))
        out = splice(x, np.clip(made, -1.0, 1.0), lo, i, j, round(FADE * rate))
        return Audio(out.astype(np.float32), rate), METHOD

    def _inpaint(self, window: np.ndarray, start: int, end: int) -> np.ndarray:
        """The window (at the model's rate) re-synthesised with [start, end) made up."""
        import torch

        pipe, device = self.shared.pipe, self.shared.device
        factor = pipe.vae_scale_factor
        frames = -(-len(window) // (self.hop * factor)) * factor  # whole latent frames
        padded = np.pad(window, (0, frames * self.hop - len(window))).astype(np.float32)
        mel = log_mel(padded, self.sample_rate, self.hop, self.bands)
        free = gap_frames(start, end, self.hop, factor, frames // factor)
        scaling = pipe.vae.config.scaling_factor
        with self.shared.lock, torch.inference_mode():
            generator = torch.Generator(device).manual_seed(SEED)
            original = pipe.vae.encode(mel[None, None].to(device)).latent_dist.mode() * scaling
            keep = torch.ones_like(original, dtype=torch.bool)
            keep[:, :, free] = False
            latents = self._denoise(original, keep, generator)
            mel_out = pipe.vae.decode(latents / scaling).sample
            made = pipe.mel_spectrogram_to_waveform(mel_out)[0].numpy()
        return np.pad(made[:len(window)], (0, max(0, len(window) - len(made))))

    def _denoise(self, original: Any, keep: Any, generator: Any) -> Any:
        """DDIM from noise, the kept latents replaced after every step by the originals
        noised to the next step's level (and by the originals themselves at the end)."""
        import torch

        pipe, device = self.shared.pipe, self.shared.device
        embeds, mask, generated = pipe.encode_prompt(
            "", device, 1, True, negative_prompt=NEGATIVE)
        scheduler = pipe.scheduler
        scheduler.set_timesteps(self.steps, device=device)
        timesteps = scheduler.timesteps
        extra = pipe.prepare_extra_step_kwargs(generator, 0.0)

        def noised(level: Any) -> Any:
            noise = torch.randn(original.shape, generator=generator, device=device)
            return scheduler.add_noise(original, noise, level.reshape(1))

        latents = torch.randn(original.shape, generator=generator, device=device)
        latents = torch.where(keep, noised(timesteps[0]), latents * scheduler.init_noise_sigma)
        for step, t in enumerate(timesteps):
            stop.check()
            model_in = scheduler.scale_model_input(torch.cat([latents] * 2), t)
            noise = pipe.unet(model_in, t, encoder_hidden_states=generated,
                              encoder_hidden_states_1=embeds,
                              encoder_attention_mask_1=mask).sample
            unconditional, conditional = noise.chunk(2)
            noise = unconditional + GUIDANCE * (conditional - unconditional)
            latents = scheduler.step(noise, t, latents, **extra).prev_sample
            later = timesteps[step + 1] if step + 1 < len(timesteps) else None
            latents = torch.where(keep, original if later is None else noised(later), latents)
        return latents
