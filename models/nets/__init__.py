"""Networks ported by hand to plain PyTorch, with the module names of their published
checkpoints so those load unchanged with strict=True: SepFormer and MetricGAN+ (SpeechBrain's,
whose own package needs torchaudio) and the Wav2Lip generator; and BERT's encoder in numpy
(`bert`), so the planner's sentence embedder needs no torch."""
