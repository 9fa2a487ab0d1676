"""The platforms checklist steps are written for (kept apart so the CLI can import it cheaply)."""

from __future__ import annotations

PLATFORMS: tuple[str, ...] = ("ios", "android", "windows", "macos", "linux", "web", "any")
PLATFORM_LABELS: dict[str, str] = {
    "ios": "iPhone or iPad",
    "android": "Android",
    "windows": "Windows",
    "macos": "Mac",
    "linux": "Linux",
    "web": "Online, in a web browser",
    "any": "Any device",
}
