"""Discord objects -> the agent's Message: who, where (guild, channel, roles), which files."""

from __future__ import annotations

import re
from pathlib import Path

import discord

from core_agent.errors import AttachmentNotTaken
from core_agent.types import Attachment, Message

PLATFORM = "discord"
Place = discord.abc.Messageable | discord.abc.GuildChannel | discord.Thread | None


def channel_key(channel_id: int) -> str:
    """Memory's channel id: one conversation per Discord channel, thread or DM."""
    return f"{PLATFORM}:{channel_id}"


def scopes(guild: discord.Guild | None, channel: Place,
           user: discord.Member | discord.User) -> list[str]:
    """Where it was said, for the allow-lists: guild, channel (and a thread's parent), roles."""
    found = [f"discord:guild:{guild.id}"] if guild else []
    if channel is not None and hasattr(channel, "id"):
        found.append(f"discord:channel:{channel.id}")
        if parent := getattr(channel, "parent_id", None):
            found.append(f"discord:channel:{parent}")
    if isinstance(user, discord.Member):
        found += [f"discord:role:{r.id}" for r in user.roles if not r.is_default()]
    return found


def mentions_removed(text: str, bot_id: int) -> str:
    """The request without the mention that addressed the bot."""
    return re.sub(rf"<@!?{bot_id}>", "", text).strip()


async def download(files: list[discord.Attachment], folder: Path, limit: int
                   ) -> list[Attachment]:
    """Save attachments locally; AttachmentNotTaken, with a reply for the user, when one
    can't be."""
    for file in files:
        if file.size > limit:
            raise AttachmentNotTaken(f"{file.filename} is {file.size / 2**20:.1f} MB; the limit is "
                            f"{limit / 2**20:.0f} MB.")
    saved = []
    for index, file in enumerate(files):
        path = folder / f"{index}-{Path(file.filename).name}"
        try:
            await file.save(path)
        except discord.HTTPException as err:
            raise AttachmentNotTaken(f"I couldn't fetch {file.filename} from Discord "
                                     f"({err.status}); please send it again.") from err
        saved.append(Attachment(path=path, filename=file.filename))
    return saved


def from_message(message: discord.Message, bot_id: int, files: list[Attachment],
                 replying_to: list[str] | None = None) -> Message:
    """A mention, a reply to the bot, or a DM (voice messages included) as a turn;
    `replying_to`: the handles of the files in the post it replies to."""
    author, replied = message.author, replied_to(message)
    return Message(
        channel_id=channel_key(message.channel.id), text=mentions_removed(message.content, bot_id),
        attachments=files, author=author.display_name, platform=PLATFORM,
        platform_message_id=str(message.id), user_id=f"discord:user:{author.id}",
        scopes=scopes(message.guild, message.channel, author), replying_to=replying_to or [],
        replied_text=mentions_removed(replied.content, bot_id) or None if replied else None)


def from_interaction(interaction: discord.Interaction, text: str, files: list[Attachment]
                     ) -> Message:
    """A slash command as a turn."""
    user = interaction.user
    return Message(
        channel_id=channel_key(interaction.channel_id or user.id), text=text, attachments=files,
        author=user.display_name, platform=PLATFORM, platform_message_id=str(interaction.id),
        user_id=f"discord:user:{user.id}",
        scopes=scopes(interaction.guild, interaction.channel, user))


def addressed(message: discord.Message, me: discord.ClientUser) -> bool:
    """Whether a message is for the bot: a DM, a mention, or a reply to one of its posts."""
    if message.author.bot:
        return False
    if message.guild is None or me in message.mentions:
        return True
    replied = replied_to(message)
    return replied is not None and replied.author.id == me.id


def replied_to(message: discord.Message) -> discord.Message | None:
    """The message this one replies to, as the gateway sent it along."""
    replied = message.reference.resolved if message.reference else None
    return replied if isinstance(replied, discord.Message) else None
