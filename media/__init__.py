"""Media files: the one place an uploaded or generated file is opened, probed, decoded
or encoded, and every ffmpeg child runs contained."""
