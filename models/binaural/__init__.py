"""mono_to_binaural: one channel placed around the listener's head (a spherical-head model,
measured HRTFs from a SOFA file)."""
