"""Replies into a Slack thread: a placeholder line edited as stages pass, then the answer in
its place (in pieces under the cap), result files uploaded with the external-upload flow
(files_upload_v2), and reactions on the asking message showing the turn's state. Slack's
refusals reach the user as reasons in words."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bots.common import split_text, status_line
from bots.slack.convert import Place, mrkdwn
from core_agent.types import Artifact, Event, Reply, Stage
from tasks import made_by

log = logging.getLogger(__name__)
TEXT_CHARS = 3000  # per message, before escaping; Slack advises under 4,000
READABLE_CHARS = 4000  # a reply past this sends its transcripts as files (Slack takes 40,000)
WORKING, DONE, FAILED = "hourglass_flowing_sand", "white_check_mark", "x"
FIRST_LINE = status_line(Event(stage=Stage.MODALITY, message=""))
FILE_LIMIT = 2**30  # bytes: Slack takes no file over 1 GB
CANT_POST = ("not_in_channel", "is_archived", "channel_not_found")  # the channel, not the post
REASONS = {  # Slack's error codes as the reason a user reads
    "file_uploads_disabled": "this workspace has turned file uploads off",
    "file_upload_size_restricted": "it's larger than this workspace allows",
    "file_uploads_except_images_disabled": "this workspace takes only pictures",
    "not_in_channel": "I'm not a member of that channel",
    "is_archived": "that channel is archived",
    "channel_not_found": "I can't see that channel",
}


@dataclass
class Status:
    """A running turn's placeholder message, updated as stages finish."""

    ts: str
    line: str


async def placeholder(client: AsyncWebClient, place: Place) -> Status:
    """Post the first "working on it" line in the thread."""
    posted = await client.chat_postMessage(channel=place.channel, thread_ts=place.thread_ts,
                                           text=FIRST_LINE)
    return Status(str(posted["ts"]), FIRST_LINE)


async def show(client: AsyncWebClient, place: Place, status: Status, line: str) -> None:
    """Edit the placeholder to a new line, if it says something else."""
    if line == status.line:
        return
    status.line = line
    try:
        await client.chat_update(channel=place.channel, ts=status.ts, text=line)
    except SlackApiError as err:  # progress is a courtesy; the reply still comes
        log.warning("Slack: progress not shown: %s", err.response.get("error"))


async def answer(client: AsyncWebClient, place: Place, status: Status, reply: Reply) -> None:
    """The reply in the placeholder's place, the rest of a long one after it, then files."""
    first, *rest = split_text(reply.text, TEXT_CHARS)
    await client.chat_update(channel=place.channel, ts=status.ts, text=mrkdwn(first))
    for piece in rest:
        await client.chat_postMessage(channel=place.channel, thread_ts=place.thread_ts,
                                      text=mrkdwn(piece))
    files = [(a, title(a)) for a in reply.artifacts]
    if reply.voice is not None:
        files.append((reply.voice, "Spoken reply"))
    big = {a.handle: size for a, _ in files if (size := a.path.stat().st_size) > FILE_LIMIT}
    notes = [f"{handle} is {size / 2**30:.1f} GB, over Slack's 1 GB limit for a file, so it "
             "isn't attached." for handle, size in big.items()]
    files = [(a, name) for a, name in files if a.handle not in big]
    if files:  # the answer stands whatever the upload meets
        try:
            await upload(client, place.channel, place.thread_ts, files)
        except SlackApiError as err:
            log.warning("Slack: files not uploaded in %s: %s", place.channel,
                        err.response.get("error"))
            handles = ", ".join(a.handle for a, _ in files)
            notes.append(f"I couldn't attach {handles} here: {reason(err)}.")
    if notes:
        await say(client, place, None, " ".join(notes))


def reason(err: SlackApiError) -> str:
    """Why Slack refused, in words; its own code where there are none."""
    code = str(err.response.get("error"))
    return REASONS.get(code, f"Slack refused it ({code})")


async def tell_user(client: AsyncWebClient, user: str, channel: str, err: SlackApiError) -> None:
    """Where the app can't post in a channel, say why in the user's direct messages with it
    (a user id as the channel posts there)."""
    try:
        await client.chat_postMessage(channel=user, text=f"I couldn't answer you in "
                                      f"<#{channel}>: {reason(err)}.")
    except SlackApiError as second:
        log.warning("Slack: couldn't tell %s either: %s", user, second.response.get("error"))


async def say(client: AsyncWebClient, place: Place, status: Status | None, text: str) -> None:
    """A short answer in the thread, in place of the placeholder if there is one."""
    try:
        if status is not None:
            await client.chat_update(channel=place.channel, ts=status.ts, text=text)
        else:
            await client.chat_postMessage(channel=place.channel, thread_ts=place.thread_ts,
                                          text=text)
    except SlackApiError as err:
        log.warning("Slack: couldn't post in %s: %s", place.channel, err.response.get("error"))


async def react(client: AsyncWebClient, channel: str, ts: str, name: str,
                remove: bool = False) -> None:
    """Add (or remove) a reaction; one that is already there (or gone) is no failure."""
    try:
        if remove:
            await client.reactions_remove(channel=channel, timestamp=ts, name=name)
        else:
            await client.reactions_add(channel=channel, timestamp=ts, name=name)
    except SlackApiError as err:  # already_reacted, no_reaction: the state shows anyway
        log.debug("Slack: reaction %s not changed: %s", name, err.response.get("error"))


def title(artifact: Artifact) -> str:
    """What a result file is called in Slack: the task that made it and its label."""
    spec = made_by(artifact)
    what = spec.title if spec is not None else "Result"
    return f"{what}: {artifact.label}" if artifact.label else what


async def upload(client: AsyncWebClient, channel: str, thread_ts: str,
                 files: list[tuple[Artifact, str]]) -> None:
    """Upload result files, each with its title, into the thread in one share."""
    await client.files_upload_v2(
        file_uploads=[{"file": str(a.path), "filename": f"{a.handle}{a.path.suffix}",
                       "title": name} for a, name in files],
        channel=channel, thread_ts=thread_ts)
