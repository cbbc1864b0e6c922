"""Sound from a description: text_to_audio (AudioLDM 2), text_to_music (MusicGen) and
image_to_audio (a BLIP caption of the picture, sounded out by the text_to_audio model)."""
