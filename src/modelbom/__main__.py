"""``python -m modelbom`` and the ``modelbom`` command: the command-line interface.

:func:`run` imports the interface itself, so a Ctrl-C while the (large) import runs is an
ordinary interruption: ``modelbom: interrupted`` and exit code 130, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn

INTERRUPTED = 130  # 128 + SIGINT, what shells report for a process stopped by Ctrl-C


def run() -> NoReturn:
    """Run :func:`modelbom.cli.main` and exit with its code."""
    try:
        from modelbom.cli import main

        code = main()
    except KeyboardInterrupt:
        sys.stderr.write("modelbom: interrupted\n")
        code = INTERRUPTED
    if code == INTERRUPTED:
        # Resolver threads may still be waiting for network answers. An interrupted scan
        # writes nothing more (outputs are whole or absent, the cache is transactional),
        # so the process ends now instead of waiting for them.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(INTERRUPTED)
    sys.exit(code)


if __name__ == "__main__":
    run()
