"""Where everything devicecheck writes lives: one private data directory."""

import os
from pathlib import Path
from typing import NamedTuple

from devicecheck.core.files import ensure_private_dir

ENVIRONMENT_VARIABLE = "DEVICECHECK_HOME"


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--data-dir` wins, then `DEVICECHECK_HOME`, then platformdirs' user data directory."""
    if explicit:
        return Path(explicit).expanduser()
    from_environment = os.environ.get(ENVIRONMENT_VARIABLE)
    if from_environment:
        return Path(from_environment).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("devicecheck", appauthor=False))


class _DataDirFields(NamedTuple):
    root: Path


class DataDir(_DataDirFields):
    """The data directory and the fixed places inside it. (An immutable named tuple rather
    than a dataclass: every command imports this, and dataclasses cost milliseconds to load.)"""

    __slots__ = ()

    def __new__(cls, root: str | os.PathLike[str]) -> "DataDir":
        return super().__new__(cls, Path(root))

    @classmethod
    def resolve(cls, explicit: str | os.PathLike[str] | None = None) -> "DataDir":
        return cls(resolve_data_dir(explicit))

    @property
    def sessions(self) -> Path:
        return self.root / "sessions"

    @property
    def evidence(self) -> Path:
        return self.root / "evidence"

    @property
    def indicators(self) -> Path:
        return self.root / "indicators"

    def ensure(self, *subdirectories: Path) -> Path:
        """Create the root and the given subdirectories, all 0700; return the last one (or root)."""
        ensure_private_dir(self.root)
        created = self.root
        for subdirectory in subdirectories:
            created = ensure_private_dir(subdirectory)
        return created
