"""The project's own error types. The CLI turns each into one line on stderr."""

from __future__ import annotations

EXIT_FOUND_OR_INVALID = 1
EXIT_USAGE_OR_RUNTIME = 2


class DeviceCheckError(Exception):
    """A problem the user can understand and act on. Exit code 2 by default."""

    exit_code: int = EXIT_USAGE_OR_RUNTIME

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidDataError(DeviceCheckError):
    """Input data (a checklist, a session, an indicator file, a log) is not valid. Exit code 1."""

    exit_code = EXIT_FOUND_OR_INVALID
