"""BLIP image captioning (large), run with transformers (neural catalog).

image_to_audio hears a picture by describing it: a ViT reads the picture and a BERT-style
decoder writes a caption, which the text_to_audio model then turns into sound. Captions name
what is in view ("a dog running on a beach"), the words AudioLDM 2 was trained to follow.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from core_agent.errors import MediaError, Unsupported
from media.probe import MAX_PICTURE_PIXELS
from models.catalog.checkpoints import CatalogEntry, NeuralBackend, torch_device
from models.generation.base import ImageCaptioner

MAX_TOKENS = 30  # a caption is a sentence, not a paragraph
BEAMS = 3  # beam search: steadier captions than greedy decoding


class BlipCaptioner(NeuralBackend, ImageCaptioner):
    """image_to_audio: the picture described, for the text_to_audio model to sound out."""

    name = "blip-caption-large"
    task = "image_to_audio"
    model = "BLIP image captioning large (with AudioLDM 2 for the sound)"
    license = "BSD-3-Clause"
    install_hint = "audiogpt models pull image_to_audio"
    requires = ("torch", "transformers", "PIL")
    entry = CatalogEntry("blip-image-captioning-large", "Salesforce/blip-image-captioning-large",
                         ("config.json", "model.safetensors", "preprocessor_config.json",
                          "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json",
                          "vocab.txt"),
                         size="1.9 GB", license="BSD-3-Clause")
    _model: Any = None
    _processor: Any = None

    def load(self) -> None:
        from transformers import BlipForConditionalGeneration, BlipProcessor

        self._device = torch_device()
        self._processor = BlipProcessor.from_pretrained(self.folder)
        self._model = BlipForConditionalGeneration.from_pretrained(self.folder)
        self._model.to(self._device).eval()
        self._lock = threading.Lock()  # one picture at a time through the one model

    def caption(self, picture: Path) -> str:
        import torch
        from PIL import Image

        try:
            with Image.open(picture) as image:
                if image.width * image.height > MAX_PICTURE_PIXELS:  # before decoding it
                    raise MediaError("the picture is too large to open")
                rgb = image.convert("RGB")  # drops alpha, expands palettes and greyscale
        except OSError as err:  # PIL's own UnidentifiedImageError included
            raise MediaError("the picture could not be read") from err
        inputs = self._processor(images=rgb, return_tensors="pt").to(self._device)
        with self._lock, torch.inference_mode():
            tokens = self._model.generate(**inputs, max_new_tokens=MAX_TOKENS, num_beams=BEAMS)
        words = str(self._processor.decode(tokens[0], skip_special_tokens=True)).strip()
        if not words:
            raise Unsupported("I couldn't make out anything in the picture to turn into sound")
        return words
