"""Socket Mode transport: Bolt's SocketModeHandler, with follow-up work started after the ack is sent.

Like the HTTP server (bot.server), the request's lazy functions are held back (bot.deferred) until the ack
has gone out over the WebSocket, so CPU-heavy answers do not compete with their own ack for the GIL.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.deferred import hold_submissions


class AckFirstSocketModeHandler(SocketModeHandler):
    def handle(self, client: Any, req: SocketModeRequest) -> None:  # the builtin SocketModeClient
        held = hold_submissions()
        try:
            super().handle(client, req)  # dispatch, then send the ack envelope
        finally:
            held.release()


def socket_mode_handler(app: App, app_token: str) -> SocketModeHandler:
    """The Socket Mode handler for `app` (call `.connect()` to start, `.close()` to stop)."""
    return AckFirstSocketModeHandler(app, app_token, logger=logging.getLogger("accountbot.socket"))
