"""singing_synthesis: scores, and a voice that sings them (Piper + WORLD, DiffSinger)."""
