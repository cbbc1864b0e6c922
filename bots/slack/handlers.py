"""Bolt listeners: thin, each reads Slack's payload and hands a turn to the SlackApp.

Events are acknowledged by Bolt before the listener runs; the slash command acks itself,
at once, and the turn runs after (Slack's 3-second rule).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bots.slack.places import Incoming, Place, plain

if TYPE_CHECKING:
    from bots.slack.app import SlackApp

# Message subtypes that are people writing; edits, joins and bots' posts are not.
PEOPLE_WRITING = (None, "file_share", "thread_broadcast")


def register(bolt: AsyncApp, bot: SlackApp) -> None:
    """Attach every listener to the Bolt app."""

    async def on_command(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond,
                         context: AsyncBoltContext) -> None:
        """`/audiogpt <request>`: acked at once, answered in a new thread in the channel."""
        text = plain(command.get("text") or "", context.bot_user_id)
        where = Place(command["team_id"], command["channel_id"], "")
        if not text:
            await ack(f"Tell me what to do, e.g. `{command['command']} read this aloud: "
                      "good morning`. Attach files by mentioning me in a message instead.")
            return
        if not bot.agent.access.admits(where.message(command["user_id"], text,
                                                     platform_message_id="")):
            await ack("Sorry, this app isn't open to you here. Ask its admin to add you.")
            return
        await ack()
        bot.start(bot.command_turn(where, command["user_id"], command.get("user_name") or "",
                                   text, command["trigger_id"], respond))

    async def on_mention(event: dict[str, Any], context: AsyncBoltContext) -> None:
        """A mention in a channel: answered in the message's thread."""
        if (item := incoming(event, context)) is not None:
            bot.start(bot.turn(item))

    async def on_message(event: dict[str, Any], context: AsyncBoltContext) -> None:
        """A direct message, or a reply in a thread the app is part of (no mention needed)."""
        if event.get("subtype") not in PEOPLE_WRITING or event.get("bot_id"):
            return
        item = incoming(event, context)
        if item is not None and (event.get("channel_type") == "im" or await bot.knows(item.place)):
            bot.start(bot.turn(item))

    async def on_home(event: dict[str, Any]) -> None:
        """The App Home tab opened: what the app does and the user's recent jobs."""
        if event.get("tab") == "home":
            await bot.publish_home(event["user"])

    bolt.command(bot.settings.slack_command)(on_command)
    bolt.event("app_mention")(on_mention)
    bolt.event("message")(on_message)
    bolt.event("app_home_opened")(on_home)


def incoming(event: dict[str, Any], context: AsyncBoltContext) -> Incoming | None:
    """A person's message as a turn; its ts is Slack's id for it (the same in app_mention
    and message events and in retries), so it is the key repeats are recognised by."""
    if not event.get("user"):
        return None
    team = context.team_id or event.get("team") or ""
    ts = event["ts"]
    return Incoming(place=Place(team, event["channel"], event.get("thread_ts") or ts),
                    user=event["user"], text=plain(event.get("text") or "", context.bot_user_id),
                    key=ts, react_ts=ts,
                    file_ids=tuple(f["id"] for f in event.get("files") or [] if f.get("id")))
