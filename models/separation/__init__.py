"""speech_separation: a reference speaker's voice kept (NMF with a speaker encoder), or each
voice on its own track (SepFormer)."""
