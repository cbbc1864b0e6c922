"""Slack: slash commands, mentions and audio files, answered in the thread (slack-bolt)."""

from bots.slack.adapter import SlackApp

__all__ = ["SlackApp"]
