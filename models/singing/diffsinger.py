"""DiffSinger voicebanks in their ONNX export, run with onnxruntime (neural catalog).

A voicebank folder is laid out as OpenUTAU loads it: `dsconfig.yaml` (phoneme list, acoustic
model, sample rate, hop size, mel settings), the phoneme list (`phonemes.txt`, one per line,
a token's id is its line; or `phonemes.json`, name to id), the acoustic model (`.onnx`), and
an NSF-HiFiGAN vocoder in its own folder with `vocoder.yaml` (`dsvocoder/`, or the folder
named by dsconfig's `vocoder`). The acoustic model turns phoneme tokens, their durations in
frames and an f0 curve into a mel spectrogram; the vocoder turns mel and f0 into a waveform.

Phonemes: a voicebank's dictionary (`dsdict.yaml`, word -> phonemes) is read when present
and used for the words it lists. Other words go through a simple grapheme fallback that
maps a syllable's letters to phonemes of the voicebank's own list; it is language-agnostic
and crude (fine for romaji, rough for English spelling), so real use needs the voicebank's
dictionary. Variance curves (energy, breathiness, voicing, tension) come from a variance
model this backend does not run: a voicebank whose acoustic model needs them is refused.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

from core_agent.errors import BackendUnavailable, ModelNotInstalled, Unsupported
from media.audio import Audio, limit_peak
from models import stop
from models.catalog.checkpoints import CatalogEntry, NeuralBackend
from models.settings import ModelSettings
from models.singing.base import Singer
from models.singing.phones import lay_out, pitch_curve
from models.singing.scores import Score

HEAD = 0.2  # seconds of silence (SP) before the first note
TAIL = 0.2  # seconds after the last note
CONSONANT_S = 0.06  # each consonant's length, at most a third of its note
GLIDE_S = 0.05  # pitch transitions between notes
STEPS = 20  # diffusion sampling steps (newer exports take `steps`)
SPEEDUP = 50  # 1000 / STEPS: older exports take `speedup`
KNOWN_INPUTS = ("tokens", "durations", "f0", "languages", "speedup", "steps", "depth",
                "gender", "velocity", "spk_embed")
VARIANCE_INPUTS = ("energy", "breathiness", "voicing", "tension")
VOWEL_LETTERS = {"a": ("a", "aa", "ah", "ae"), "e": ("e", "eh", "ae"), "i": ("i", "ih", "iy"),
                 "o": ("o", "ao", "ow", "oh"), "u": ("u", "uh", "uw"), "y": ("i", "iy", "ih")}
LETTER_PAIRS = {"ch": ("ch",), "sh": ("sh",), "th": ("th", "dh"), "ng": ("ng",), "ph": ("f",),
                "ck": ("k",), "ee": ("iy", "i"), "oo": ("uw", "u"), "ay": ("ey", "e"),
                "ai": ("ay", "ai"), "ow": ("aw", "ow"), "ou": ("aw", "ow")}
LETTER_SOUNDS = {"c": ("k",), "q": ("k",), "x": ("k",), "j": ("jh", "j"), "y": ("y", "j"),
                 "r": ("r", "rr")}


class VoicebankError(BackendUnavailable):
    """A voicebank folder this backend cannot run: a file missing or a model it cannot feed."""

    def __init__(self, message: str) -> None:
        ModelNotInstalled.__init__(self, message)  # its own message, not BackendUnavailable's
        self.model = DiffSingerOnnx.model
        self.hint = "a complete DiffSinger ONNX voicebank (see README, neural catalog)"


def _yaml(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise VoicebankError(f"the DiffSinger voicebank has no {path.name} ({path.parent})")
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def _phoneme_ids(path: Path) -> dict[str, int]:
    """Phoneme name -> token id, from phonemes.txt (line number) or phonemes.json."""
    if not path.is_file():
        raise VoicebankError(f"the DiffSinger voicebank's phoneme list {path.name} is missing")
    if path.suffix == ".json":
        return {str(k): int(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
    lines = path.read_text(encoding="utf-8").splitlines()
    return {name.strip(): i for i, name in enumerate(lines) if name.strip()}


class DiffSingerOnnx(NeuralBackend, Singer):
    """singing_synthesis: a DiffSinger voicebank (acoustic model + NSF-HiFiGAN) via ONNX."""

    name = "diffsinger-onnx"
    task = "singing_synthesis"
    model = "DiffSinger voicebank (ONNX, NSF-HiFiGAN vocoder)"
    license = "Apache-2.0 (DiffSinger code); each voicebank and vocoder has its own terms"
    install_hint = ("set AUDIOGPT_DIFFSINGER_REPO to a DiffSinger voicebank repository, then "
                    "audiogpt models pull singing_synthesis")
    requires = ("onnxruntime", "yaml")
    # No voicebank repository is fixed: the setting `diffsinger_repo` names one (README).
    entry = CatalogEntry("diffsinger-voicebank", "", ("*.yaml", "*.txt", "*.json", "*.onnx",
                                                      "*.emb"),
                         size="the voicebank's (typically 0.2-1 GB)",
                         license="the voicebank's own")
    _acoustic: Any = None
    _vocoder: Any = None

    @classmethod
    def configured_repo(cls, settings: ModelSettings) -> str | None:
        return settings.diffsinger_repo  # no single canonical voicebank repository exists

    def load(self) -> None:
        import onnxruntime as ort

        config = _yaml(self.folder / "dsconfig.yaml")
        self.config = config
        self.sample_rate = int(config.get("sample_rate", 44_100))
        self.hop = int(config.get("hop_size", 512))
        self.phonemes = _phoneme_ids(self.folder / str(config.get("phonemes", "phonemes.txt")))
        self.dictionary = self._dictionary()
        acoustic = self.folder / str(config.get("acoustic", "acoustic.onnx"))
        if not acoustic.is_file():
            raise VoicebankError(f"the DiffSinger voicebank has no acoustic model {acoustic.name}")
        vocoder_dir = self._vocoder_dir()
        vocoder_config = _yaml(vocoder_dir / "vocoder.yaml")
        vocoder = vocoder_dir / str(vocoder_config.get("model", "vocoder.onnx"))
        if not vocoder.is_file():
            raise VoicebankError(f"the DiffSinger vocoder model {vocoder.name} is missing "
                                 f"from {vocoder_dir}")
        if int(vocoder_config.get("sample_rate", self.sample_rate)) != self.sample_rate or \
                int(vocoder_config.get("hop_size", self.hop)) != self.hop:
            raise VoicebankError("the DiffSinger vocoder's sample rate or hop size differs from "
                                 "the voicebank's")
        self.mel_scale = self._mel_base_factor(str(config.get("mel_base", "10")),
                                               str(vocoder_config.get("mel_base", "e")))
        wanted = ["CUDAExecutionProvider"] if "CUDAExecutionProvider" in \
            ort.get_available_providers() else []
        providers = [*wanted, "CPUExecutionProvider"]
        self._acoustic = ort.InferenceSession(str(acoustic), providers=providers)
        self._vocoder = ort.InferenceSession(str(vocoder), providers=providers)
        self._check_inputs()
        self._lock = threading.Lock()

    def _vocoder_dir(self) -> Path:
        named = self.config.get("vocoder")
        for folder in (self.folder / "dsvocoder", self.folder / str(named or "dsvocoder")):
            if (folder / "vocoder.yaml").is_file():
                return folder
        raise VoicebankError(f"the DiffSinger voicebank has no vocoder: put the NSF-HiFiGAN "
                             f"vocoder ({named or 'nsf_hifigan'}) with its vocoder.yaml in "
                             f"{self.folder / 'dsvocoder'}")

    def _dictionary(self) -> dict[str, list[str]]:
        """Word -> phonemes from the voicebank's dsdict.yaml, when it has one."""
        found = sorted(self.folder.glob("dsdict*.yaml"))
        self.vowels: set[str] = set()
        if not found:
            return {}
        described = _yaml(found[0])
        self.vowels = {str(s["symbol"]) for s in described.get("symbols") or []
                       if s.get("type") == "vowel"}
        entries = described.get("entries") or []
        return {str(e["grapheme"]).lower(): [str(p) for p in e["phonemes"]] for e in entries
                if "grapheme" in e and "phonemes" in e}

    @staticmethod
    def _mel_base_factor(model_base: str, vocoder_base: str) -> float:
        """What the acoustic model's log-mel is multiplied by for the vocoder's log base."""
        if model_base == vocoder_base:
            return 1.0
        return float(np.log(10.0)) if model_base == "10" else float(1 / np.log(10.0))

    def _check_inputs(self) -> None:
        names = [i.name for i in self._acoustic.get_inputs()]
        for name in names:
            if name in VARIANCE_INPUTS:
                raise VoicebankError(f"the DiffSinger acoustic model needs the input {name!r}, "
                                     "a variance curve from the voicebank's variance model, "
                                     "which this backend does not run")
            if name not in KNOWN_INPUTS:
                raise VoicebankError(f"the DiffSinger acoustic model has an input {name!r} "
                                     f"this backend does not know how to fill (it knows "
                                     f"{', '.join(KNOWN_INPUTS)})")
        for needed in ("tokens", "durations", "f0"):
            if needed not in names:
                raise VoicebankError(f"the DiffSinger acoustic model lacks the input {needed!r}")
        vocoder = {i.name for i in self._vocoder.get_inputs()}
        if vocoder != {"mel", "f0"}:
            raise VoicebankError(f"the DiffSinger vocoder takes {sorted(vocoder)}, not mel and "
                                 "f0 as NSF-HiFiGAN does")
        if "spk_embed" in names and not self.config.get("speakers"):
            raise VoicebankError("the DiffSinger acoustic model needs a speaker embedding but "
                                 "dsconfig.yaml lists no speakers")

    @property
    def frame_s(self) -> float:
        """Seconds per frame."""
        return self.hop / self.sample_rate

    def sing(self, score: Score) -> Audio:
        """The score sung; the first note starts HEAD seconds into the audio."""
        phones = lay_out(score, self, HEAD, TAIL, CONSONANT_S)
        frames = sum(d for _, d in phones)
        f0 = pitch_curve(score, self.frame_s, HEAD, frames, GLIDE_S)
        inputs = self._inputs([self._token(p) for p, _ in phones], [d for _, d in phones], f0)
        with self._lock:
            outputs = stop.run_session(self._acoustic, None, inputs)
            names = [o.name for o in self._acoustic.get_outputs()]
            mel = outputs[names.index("mel")] if "mel" in names else outputs[0]
            mel = (mel * self.mel_scale).astype(np.float32)
            (wave, *_) = stop.run_session(self._vocoder, None, {"mel": mel, "f0": inputs["f0"]})
        samples = np.nan_to_num(np.asarray(wave, np.float32).reshape(-1))
        wanted = frames * self.hop
        samples = np.pad(samples[:wanted], (0, max(0, wanted - len(samples))))
        return Audio(limit_peak(samples), self.sample_rate)

    def _token(self, phoneme: str) -> int:
        return self.phonemes[phoneme]

    def _inputs(self, tokens: list[int], durations: list[int], f0: np.ndarray
                ) -> dict[str, np.ndarray]:
        frames = len(f0)
        values: dict[str, Any] = {
            "tokens": [tokens], "durations": [durations], "f0": [f0],
            "languages": [[self._language()] * len(tokens)], "speedup": SPEEDUP, "steps": STEPS,
            "gender": np.zeros((1, frames)), "velocity": np.ones((1, frames))}
        out: dict[str, np.ndarray] = {}
        for spec in self._acoustic.get_inputs():
            dtype = np.int64 if "int64" in spec.type else np.float32
            if spec.name == "depth":
                value: Any = self.config.get("max_depth", 1.0 if dtype is np.float32 else 1000)
            elif spec.name == "spk_embed":
                value = self._speaker(frames)
            else:
                value = values[spec.name]
            array = np.asarray(value, dtype=dtype)
            out[spec.name] = array.reshape(1) if array.ndim == 0 and len(spec.shape) == 1 \
                else array
        return out

    def _language(self) -> int:
        languages = self.config.get("languages")
        if not languages:
            return 0
        ids = json.loads((self.folder / str(languages)).read_text(encoding="utf-8"))
        return int(ids.get("en", next(iter(ids.values()), 0)))

    def _speaker(self, frames: int) -> np.ndarray:
        """The first listed speaker's embedding on every frame."""
        first = str(self.config["speakers"][0])
        path = self.folder / (first if first.endswith(".emb") else first + ".emb")
        if not path.is_file():
            raise VoicebankError(f"the DiffSinger speaker embedding {path.name} is missing")
        embedding = np.fromfile(path, dtype=np.float32)
        return np.tile(embedding, (1, frames, 1))

    def is_vowel(self, phoneme: str) -> bool:
        """A vowel of the voicebank (its dictionary says so, else it starts with a vowel)."""
        if self.vowels:
            return phoneme in self.vowels
        bare = phoneme.split("/")[-1].lower()
        return bool(re.match(r"[aeiou]", bare))

    def word_phonemes(self, word: str) -> list[str] | None:
        """The dictionary's phonemes for a word, if it lists it and knows them all."""
        found = self.dictionary.get(word.lower())
        return found if found and all(p in self.phonemes for p in found) else None

    def letters_to_phonemes(self, text: str) -> list[str]:
        """The grapheme fallback: a syllable's letters as phonemes of the voicebank's list."""
        out: list[str] = []
        letters = re.sub(r"[^a-z]", "", text.lower())
        i = 0
        while i < len(letters):
            pair, letter = letters[i:i + 2], letters[i]
            choice = self._pick((pair, *LETTER_PAIRS.get(pair, ()))) if len(pair) == 2 \
                else None
            step = 2 if choice else 1
            if choice is None:
                options = (letter, *VOWEL_LETTERS.get(letter, ()), *LETTER_SOUNDS.get(letter, ()))
                if letter == "y" and i > 0:  # "py", "my": a vowel after a consonant
                    options = VOWEL_LETTERS["y"]
                choice = self._pick(options)
            if choice and (not out or out[-1] != choice or self.is_vowel(choice)):
                out.append(choice)
            i += step
        if not out:
            raise Unsupported(f"the voicebank has no phonemes for {text!r}; it needs its "
                              "dictionary (dsdict.yaml)")
        return out

    def _pick(self, options: tuple[str, ...]) -> str | None:
        for option in options:
            if option in self.phonemes:
                return option
            prefixed = [p for p in self.phonemes if p.split("/")[-1] == option]
            if prefixed:
                return prefixed[0]
        return None

    def rest(self) -> str:
        """The voicebank's silence phoneme."""
        for name in ("SP", "AP", "pau", "sil"):
            if name in self.phonemes:
                return name
        raise VoicebankError("the DiffSinger voicebank's phoneme list has no SP (silence)")
