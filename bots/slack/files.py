"""Files across the Slack boundary: users' uploads fetched with the bot token, results
uploaded into the thread with the external-upload flow (files_upload_v2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from core_agent.tasks import TASKS
from core_agent.types import Artifact, Attachment

CHUNK = 1 << 16  # bytes read at a time while downloading
DOWNLOAD_TIMEOUT = 120  # seconds for one file


class FetchFailed(Exception):
    """A user's file could not be fetched from Slack; the message says why, for the user."""


async def fetch(client: AsyncWebClient, file_id: str, folder: Path, *, files_url: str,
                limit: int) -> Attachment:
    """One shared file on local disk. files.info is asked first: events may carry only the
    id (Slack Connect), and its size lets us refuse a huge file before downloading it."""
    try:
        info: dict[str, Any] = (await client.files_info(file=file_id))["file"]
    except SlackApiError as err:
        raise FetchFailed(f"Slack wouldn't show me that file ({err.response.get('error')}).") \
            from err
    name = str(info.get("name") or info.get("title") or file_id)
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    if info.get("mode") in ("hidden_by_limit", "tombstone") or not url:
        raise FetchFailed(f"{name} isn't available to me any more.")
    if int(info.get("size") or 0) > limit:
        raise FetchFailed(f"{name} is {int(info['size']) / 2**20:.1f} MB; the limit is "
                          f"{limit / 2**20:.0f} MB.")
    if not url.startswith(files_url):  # the bot token is sent nowhere else
        raise FetchFailed(f"{name} isn't hosted by Slack, so I won't fetch it.")
    target = folder / f"{file_id}{Path(name).suffix.lower()}"
    await _download(url, str(client.token), target, name, limit)
    return Attachment(path=target, filename=name)


async def _download(url: str, token: str, target: Path, name: str, limit: int) -> None:
    timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(
            url, headers={"Authorization": f"Bearer {token}"}) as response:
        # Without the files:read scope Slack answers with its sign-in page, not the file.
        if response.status != 200 or response.content_type == "text/html":
            raise FetchFailed(f"Slack didn't let me download {name} (HTTP {response.status}); "
                              "the app may lack the files:read scope.")
        size = 0
        with target.open("wb") as out:
            async for chunk in response.content.iter_chunked(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FetchFailed(f"{name} is over the {limit / 2**20:.0f} MB limit.")
                out.write(chunk)


def title(artifact: Artifact) -> str:
    """What a result file is called in Slack: the task that made it and its label."""
    task = artifact.producer.removeprefix("job:")
    what = TASKS[task].title if task in TASKS else "Result"
    return f"{what}: {artifact.label}" if artifact.label else what


async def upload(client: AsyncWebClient, channel: str, thread_ts: str,
                 files: list[tuple[Artifact, str]]) -> None:
    """Upload result files, each with its title, into the thread in one share."""
    await client.files_upload_v2(
        file_uploads=[{"file": str(a.path), "filename": f"{a.handle}{a.path.suffix}",
                       "title": name} for a, name in files],
        channel=channel, thread_ts=thread_ts)
