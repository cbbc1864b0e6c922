"""The neural catalog: where a neural backend's checkpoint is on disk (`checkpoints`), and
`audiogpt models pull` fetching it from a Hugging Face compatible hub (`hub`)."""
