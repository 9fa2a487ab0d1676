"""The quick exit's clearing of the terminal, shared by the walkthrough and the plain walk.

Order matters: home the cursor, erase the screen (`ESC[2J`), then erase the scrollback
(`ESC[3J`). Terminals such as tmux push the visible screen into the scrollback when they see
`ESC[2J`, so erasing the scrollback first would leave the screen's text in it.
"""

from __future__ import annotations

from typing import TextIO

CLEAR_EVERYTHING = "\x1b[H\x1b[2J\x1b[3J"
NEEDS_A_TERMINAL = "the walkthrough needs a terminal; try walk --plain"


def is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError, OSError):  # closed or replaced streams
        return False


def clear_terminal(stream: TextIO | None) -> None:
    """Clear the screen and the scrollback, as far as the terminal allows; never raises."""
    if stream is None:
        return
    try:
        stream.write(CLEAR_EVERYTHING)
        stream.flush()
    except (OSError, ValueError):
        pass
