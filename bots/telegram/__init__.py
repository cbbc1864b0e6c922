"""Telegram (python-telegram-bot): voice notes, audio and video in and out, chats and groups."""

from bots.telegram.adapter import TelegramBot

__all__ = ["TelegramBot"]
