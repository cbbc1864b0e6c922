"""Webhook mode: Telegram posts updates to our URL; they join the application's queue."""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_server(app: Application, url: str, secret: str, host: str, port: int  # type: ignore[type-arg]
                   ) -> uvicorn.Server:
    """A server for the path of `url` that accepts updates signed with `secret`."""

    async def receive(request: Request) -> Response:
        sent = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(sent.encode(), secret.encode()):
            return Response(status_code=403)
        try:
            update = Update.de_json(json.loads(await request.body()), app.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("telegram webhook: an update that isn't one was refused")
            return Response(status_code=400)
        await app.update_queue.put(update)
        return Response()

    routes = [Route(urlsplit(url).path or "/", receive, methods=["POST"])]
    return uvicorn.Server(uvicorn.Config(Starlette(routes=routes), host=host, port=port,
                                         log_config=None, access_log=False))
