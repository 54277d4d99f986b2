"""Whether the process that left a temp file or a journal entry is still running."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """Our own pid counts as alive; so does a pid we may not signal (another user's).

    Local pids only: a writer on another host sharing the folder is not seen.
    """
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:  # no such pid can exist
        return False
    return True
