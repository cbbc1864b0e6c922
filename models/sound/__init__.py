"""Sound tasks: sound_detection, target_sound_detection, sound_extraction and audio_to_text
(YAMNet, AST, CLAP, Qwen2-Audio), the event machinery they share and the event plots."""
