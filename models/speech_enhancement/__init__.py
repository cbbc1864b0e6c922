"""speech_enhancement: noise taken out of speech (spectral gating, MetricGAN+)."""
