"""SMS backends for tests whose worker runs in another process (the memory outbox is per process)."""

import datetime as dt
import os
import time
from pathlib import Path

from notifications.sms import Backend, Fate, Message

BLOCK_LIMIT_SECONDS = 30


class FileBackend(Backend):
    """Appends "<notification id> <reference>" to $CK_TEST_SMS_DIR/sent for every message it sends.

    While $CK_TEST_SMS_DIR/block exists, a send waits (after writing its process id to entered-<id>), as a
    gateway that hangs would, so that a test can kill the worker in the middle of a send.
    """

    def send(self, message: Message) -> str:
        folder = Path(os.environ["CK_TEST_SMS_DIR"])
        if (folder / "block").exists():
            (folder / f"entered-{message.notification_id}").write_text(str(os.getpid()))
            deadline = time.monotonic() + BLOCK_LIMIT_SECONDS
            while (folder / "block").exists() and time.monotonic() < deadline:
                time.sleep(0.02)
        with open(folder / "sent", "a") as sent:
            sent.write(f"{message.notification_id} {message.reference}\n")
        return f"file-{message.notification_id}"

    def lookup(self, message: Message, *, since: dt.datetime) -> Fate:
        line = f"{message.notification_id} {message.reference}"
        taken = line in sent_lines(Path(os.environ["CK_TEST_SMS_DIR"]))
        return Fate.taken(f"file-{message.notification_id}") if taken else Fate.not_taken()


def sent_lines(folder: Path) -> list[str]:
    path = folder / "sent"
    return path.read_text().splitlines() if path.exists() else []
