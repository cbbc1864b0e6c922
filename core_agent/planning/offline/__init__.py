"""The offline planner: sentence embeddings, keyword cues and argument extraction."""
