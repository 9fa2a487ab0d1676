"""One YAML document read safely, with errors that say where (file:line:column).

Shared by the help lines and the indicator importers. Checklists walk PyYAML's node tree
instead (`core.checklists`), so that every problem in them carries its own line.
"""

from __future__ import annotations

from typing import Any

from devicecheck.errors import InvalidDataError


def parse_yaml(text: str, where: str) -> Any:
    """Parse one YAML document with the safe loader; errors carry line and column."""
    # Imported here: a scan with a warm indicator cache never needs YAML.
    import yaml

    # libyaml's loader when present: several times faster (319 LOLRMM files; the help lines
    # the welcome screen waits for).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        place = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = error.problem or error.context or "invalid YAML"
        raise InvalidDataError(f"{where}{place}: invalid YAML: {problem}") from None
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        raise InvalidDataError(f"{where}: invalid YAML: {error}") from None
