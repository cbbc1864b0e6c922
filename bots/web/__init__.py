"""The local web chat (`audiogpt run`): a page to try everything without a platform account."""

from bots.web.adapter import WebChat

__all__ = ["WebChat"]
