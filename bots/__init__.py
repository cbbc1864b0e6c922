"""Platform adapters: each turns its platform's events into Messages and Replies back.

Every platform package is laid out alike (`adapter.py`, `handlers.py`, `convert.py`,
`send.py`); what they all share is in `base.py` (the turn queue) and `commands.py`.
"""
