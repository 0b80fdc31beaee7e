"""The bot tells the emulator when it has finished an update, so that "idle" is exact.

PTB confirms updates to getUpdates before its handlers run; without this, waiting for the
sandbox to be idle would have to guess from a quiet moment, and a reply the bot's limiter holds
back for a second (one message a second per chat) would come after the wait. The demo's
terminal and the tests' harness both use it.
"""

from __future__ import annotations

from telegram import Update

from bot.metrics import InstrumentedApplication
from bot.sandbox.emulator import BotApiEmulator
from bot.services import BotApplication


class _ReportingApplication(InstrumentedApplication):
    """The bot's own Application class, also telling the emulator when it is done with an
    update, however its handlers ended: a handler that raises ApplicationHandlerStop skips
    every later handler group, so a last-group handler would not see the update."""

    __slots__ = ()

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            if isinstance(update, Update):
                self.bot_data["emulator"].mark_handled(update.update_id)


def report_handling(app: BotApplication, emu: BotApiEmulator) -> None:
    """Make `app` (built by `build_application`, not started yet) report to `emu`: the same
    object with one more overridden method, as the builder offers no hook around every update."""
    assert type(app) is InstrumentedApplication
    app.__class__ = _ReportingApplication
    app.bot_data["emulator"] = emu
    emu.tracks_handling = True
