"""Windows scheduled tasks: what a task starts, from the task's XML file.

Windows keeps every scheduled task as an XML file under `C:\\Windows\\System32\\Tasks` (folders
for task folders), in the Task Scheduler schema (learn.microsoft.com/windows/win32/taskschd/
task-scheduler-schema, namespace http://schemas.microsoft.com/windows/2004/02/mit/task):
`Task/RegistrationInfo/URI` names the task, and each `Task/Actions/Exec` has a `Command` and
optional `Arguments` (COM-handler actions name no program and are left out). The files
are UTF-16 with a byte-order mark, as `schtasks /query /xml` writes them.

Task files are outside input: a document type (and so any entity) is refused before parsing,
and the size is capped. The collector (Windows only) is in `core.scan.autostart`.
"""

from devicecheck.core.scan.autostart import AutostartEntry
from devicecheck.errors import InvalidDataError

MAX_TASK_BYTES = 1024 * 1024


def _text(data: bytes, location: str) -> str:
    if len(data) > MAX_TASK_BYTES:
        raise InvalidDataError(f"{location}: too large to be a task")
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        elif data.startswith(b"\xef\xbb\xbf"):
            text = data[3:].decode("utf-8")
        else:
            text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidDataError(f"{location}: not text") from None
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise InvalidDataError(f"{location}: has a document type, which tasks never have")
    if text.startswith("<?xml"):  # its encoding attribute no longer applies to decoded text
        text = text[text.find("?>") + 2 :]
    return text


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _child(element, name: str):
    return next((child for child in element if _local(child.tag) == name), None)


def _child_text(element, name: str) -> str:
    child = _child(element, name) if element is not None else None
    return (child.text or "").strip() if child is not None else ""


def parse_task_xml(data: bytes, location: str) -> list[AutostartEntry]:
    """The entries a task file starts: one per Exec action, named after the task."""
    from xml.etree import ElementTree  # only for Windows tasks

    text = _text(data, location)
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise InvalidDataError(f"{location}: not a task ({error})") from None
    if _local(root.tag) != "Task":
        raise InvalidDataError(f"{location}: not a task (no Task element)")
    uri = _child_text(_child(root, "RegistrationInfo"), "URI")
    name = uri.rstrip("\\").rpartition("\\")[2] or location.replace("/", "\\").rpartition("\\")[2]
    actions = _child(root, "Actions")
    entries = []
    for action in actions if actions is not None else ():
        if _local(action.tag) != "Exec":
            continue
        command = _child_text(action, "Command")
        arguments = _child_text(action, "Arguments")
        if not command:
            continue
        quoted = f'"{command}"' if " " in command and not command.startswith('"') else command
        line = f"{quoted} {arguments}".strip()
        entries.append(AutostartEntry(name, line, location, (uri,) if uri else ()))
    return entries
