"""audio_inpainting: a gap filled from the sound around it (Burg AR extrapolation and
spectral interpolation; AudioLDM 2 in its latent space)."""
