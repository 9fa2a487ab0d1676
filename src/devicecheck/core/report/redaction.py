"""Redaction by field, then by word: what `report --redact` and `pack --redact` take out.

1. Whole fields are dropped and replaced with a role: the caseworker's name ("caseworker"),
   entry authors ("client" or "caseworker"), "who" in the action plan, the client reference,
   device names, the computer's name, user names, and file paths and names.
2. Free text (notes, incident descriptions, answers' notes, ...) is then scrubbed of what those
   fields held: each part of a person's name as a whole word (so "Okonkwo" goes wherever it
   stands, while "photo" in "posted a photo of my front door" stays even when a file was
   called "photo"), the client reference in any spacing or punctuation ("SS 2024 00917",
   "ss-2024-00917"), host and user names as words, and file names that look like file names.
3. `redact_also` widens it: addresses (street lines and UK postcodes), witnesses (the field and
   the names in it), email addresses, phone numbers.

The report's own text (questions, advice, help lines, sources, hashes) is never scrubbed, so
help numbers stay. Free text can still identify people in ways no pattern can see; every
redacted copy says so on its first page.
"""

from __future__ import annotations

import dataclasses
import getpass
import re
import socket
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from devicecheck.core.report.model import (
    CLIENT_WORDS,
    ActionRow,
    AttachmentRow,
    FindingRow,
    IncidentRow,
    Redaction,
    ReportData,
    ScanRow,
    SessionDetails,
)
from devicecheck.core.sessions import Session
from devicecheck.errors import DeviceCheckError

REDACTED = "[redacted]"
ALSO = ("addresses", "witnesses", "emails", "phones")
FIELD_KINDS = (
    "the caseworker's name and every author's name (shown as “client” or “caseworker”)",
    "the client reference, however it is spaced or punctuated",
    "names of devices and of this computer, and user names",
    "file paths and file names",
    "who is named in the action plan",
    "pictures of attached files (a screenshot or photo can show anyone; each file's fingerprint "
    "stays)",
)
ALSO_KINDS = {
    "addresses": "street addresses and postcodes",
    "witnesses": "witnesses' names",
    "emails": "email addresses",
    "phones": "phone numbers",
}
# Fields holding the report's own words or fingerprints: never scrubbed.
_KEEP = frozenset(
    (
        "question",
        "title",
        "area",
        "severity",
        "label",
        "advice",
        "sha256",
        "exe_sha256",
        "value",
        "head_hash",
        "command",
    )
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\d[\d\s().-]{7,17}\d|0\d[\d\s().-]{7,14}\d|"
    r"\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4})(?!\w)"
)
_STREET = re.compile(
    r"\b\d{1,5}[a-zA-Z]?,?\s+(?:[A-Z][\w'-]*\s+){1,4}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|"
    r"Close|Drive|Dr|Way|Place|Pl|Court|Ct|Crescent|Terrace|Gardens|Grove|Square|Hill|Row|"
    r"Mews|Walk|Park|Boulevard|Blvd)\b\.?"
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
_FILE_LIKE = re.compile(r"[._\d-]")
# Authors and "who" values that are roles, not names: they become the role, and are never
# scrubbed from free text as if they were someone's name.
ROLE_WORDS = CLIENT_WORDS | {"caseworker", "the caseworker"}
# Accounts every computer has: a process run by "root" names nobody, and "root" is a word.
SYSTEM_ACCOUNTS = frozenset(
    (
        "root",
        "system",
        "administrator",
        "admin",
        "nobody",
        "daemon",
        "local service",
        "network service",
        "www-data",
    )
)
# Phone details a redacted copy leaves out (Android version and patch level say how safe the
# phone was and name nobody). Only the serial is scrubbed from free text as well: the maker's
# name is also part of package names ("com.google.android...") and must stay there.
PHONE_IDENTIFIERS = frozenset(("serial number", "maker", "model", "build"))
# Finding details (as the report labels them) that hold a user account's name.
USER_NAME_DETAILS = frozenset(("account", "user", "username", "owner"))


def parse_also(text: str | Sequence[str]) -> tuple[str, ...]:
    """`addresses,witnesses,emails,phones` (any of them) -> a tuple; one error line otherwise."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    wanted = tuple(dict.fromkeys(p.strip().lower() for p in parts if p.strip()))
    unknown = [p for p in wanted if p not in ALSO]
    if unknown:
        raise DeviceCheckError(
            f"--redact-also takes {', '.join(ALSO)} (comma-separated), not {', '.join(map(repr, unknown))}"
        )
    return wanted


def redact_report(
    data: ReportData, session: Session, entries: Sequence[Any], also: Sequence[str] = ()
) -> ReportData:
    people = _people(session, entries, data)
    witnesses = [row.witnesses for row in data.incidents] if "witnesses" in also else []
    scrub = _scrubber(
        names=[*people, *witnesses],
        client_ref=session.caseworker.client_ref if session.caseworker else "",
        words=_machine_words(data),
        phrases=_phrases(data, session),
        also=also,
    )
    role = _role_of(people)
    blanked = dataclasses.replace(
        data,
        redacted=True,
        redaction=Redaction(FIELD_KINDS + tuple(ALSO_KINDS[a] for a in also)),
        session=_session(data.session),
        consents=tuple(dataclasses.replace(c, recorded_by="caseworker") for c in data.consents),
        findings=tuple(_finding(row) for row in data.findings),
        scans=tuple(_scan(row) for row in data.scans),
        incidents=tuple(_incident(row, role, "witnesses" in also) for row in data.incidents),
        attachments=tuple(_attachment(row) for row in data.attachments),
        log_notes=tuple(dataclasses.replace(n, author=role(n.author)) for n in data.log_notes),
        caseworker_notes=tuple(
            dataclasses.replace(n, author="caseworker") for n in data.caseworker_notes
        ),
        action_plan=tuple(_action(step, people) for step in data.action_plan),
    )
    scrubbed = {
        name: _scrub(getattr(blanked, name), scrub)
        for name in (
            "session",
            "consents",
            "answers",
            "findings",
            "scans",
            "incidents",
            "attachments",
            "log_notes",
            "caseworker_notes",
            "action_plan",
            "integrity",
        )
    }
    scrubbed["chain"] = dataclasses.replace(
        blanked.chain, missing=tuple(scrub(line) for line in blanked.chain.missing)
    )
    return dataclasses.replace(blanked, **scrubbed)


# --- what is taken out ---------------------------------------------------------------------------


def _people(session: Session, entries: Sequence[Any], data: ReportData) -> list[str]:
    names = {e.author for e in entries if e.author}
    if session.caseworker:
        names.add(session.caseworker.name)
    names.update(c.recorded_by for c in session.consents)
    names.update(n.author for n in session.caseworker_notes)
    return sorted(n for n in names if n and not _is_role(n))


def _is_role(name: str) -> bool:
    return name.strip().casefold() in ROLE_WORDS


def _machine_words(data: ReportData) -> list[str]:
    words = {row.username for row in data.findings}
    words.update(v for row in data.findings for k, v in row.detail if k in USER_NAME_DETAILS)
    words.update(row.machine for row in data.scans)
    for name in (_safe(socket.gethostname), _safe(getpass.getuser)):
        words.add(name)
        words.add(name.split(".")[0])
    return [w for w in words if len(w.strip()) >= 3 and w.strip().casefold() not in SYSTEM_ACCOUNTS]


def _safe(read: Callable[[], str]) -> str:
    try:
        return read() or ""
    except Exception:  # no user name on this system (a container without passwd)
        return ""


def _phrases(data: ReportData, session: Session) -> list[str]:
    """Whole strings scrubbed wherever they occur: paths, device names, file names."""
    phrases = {row.exe for row in data.findings} | {row.cmdline for row in data.findings}
    phrases.update(v for row in data.findings for _, v in row.detail if _is_path(v))
    if session.caseworker:
        phrases.update(session.caseworker.devices)
    files = [*data.attachments, *(a for i in data.incidents for a in i.attachments)]
    for row in files:  # "IMG_2041.png" and "IMG_2041", but never "photo" (an ordinary word)
        stem = row.name.rsplit(".", 1)[0]
        if _FILE_LIKE.search(row.name):
            phrases.add(row.name)
        if _FILE_LIKE.search(stem):
            phrases.add(stem)
    for row in data.scans:
        phrases.update(value for label, value in row.device if label == "serial number")
    return [p for p in phrases if len(p.strip()) >= 3]


def _is_path(value: str) -> bool:
    return "/" in value or "\\" in value


# --- fields ------------------------------------------------------------------------------------


def _role_of(people: Iterable[str]) -> Callable[[str], str]:
    known = set(people)

    def role(author: str) -> str:
        word = author.strip().casefold()
        if word in CLIENT_WORDS or not word:
            return "client"
        return "caseworker" if author in known or word in ROLE_WORDS else "someone else"

    return role


def _session(details: SessionDetails) -> SessionDetails:
    if details.mode != "caseworker":
        return details
    return dataclasses.replace(
        details,
        caseworker="the caseworker",
        client_ref=REDACTED,
        devices=tuple(f"device {n}" for n, _ in enumerate(details.devices, 1)),
    )


def _finding(row: FindingRow) -> FindingRow:
    return dataclasses.replace(
        row,
        username="[user name]" if row.username else "",
        exe="[file path]" if row.exe else "",
        cmdline="[command line]" if row.cmdline else "",
        detail=tuple((k, _detail_value(k, v)) for k, v in row.detail),
    )


def _detail_value(key: str, value: str) -> str:
    if key in USER_NAME_DETAILS:
        return "[user name]"
    return "[file path]" if _is_path(value) else value


def _scan(row: ScanRow) -> ScanRow:
    machine = "this computer" if row.target == "computer" else "the phone"
    return dataclasses.replace(
        row,
        machine=machine,
        device=tuple((k, REDACTED if k in PHONE_IDENTIFIERS else v) for k, v in row.device),
        not_examined=tuple((_no_paths(what), why) for what, why in row.not_examined),
    )


def _no_paths(text: str) -> str:
    return re.sub(r"(?:[A-Za-z]:)?[\\/][^\s,;:]*", "[file path]", text)


def _attachment(row: AttachmentRow, number: int = 0) -> AttachmentRow:
    kind = row.name.rsplit(".", 1)[-1].lower() if "." in row.name else ""
    label = f"a .{kind} file" if kind.isalnum() and len(kind) <= 5 else "a file"
    return dataclasses.replace(row, name=f"{label} (name removed)", thumbnail=None)


def _incident(row: IncidentRow, role: Callable[[str], str], witnesses: bool) -> IncidentRow:
    return dataclasses.replace(
        row,
        author=role(row.author),
        witnesses="[witness details removed]" if witnesses and row.witnesses else row.witnesses,
        attachments=tuple(_attachment(a) for a in row.attachments),
        amendments=tuple(dataclasses.replace(a, author=role(a.author)) for a in row.amendments),
    )


def _action(step: ActionRow, people: Sequence[str]) -> ActionRow:
    who = step.who.strip().casefold()
    parts = {p.casefold() for name in people for p in _name_parts(name)}
    if who in CLIENT_WORDS:
        role = "client"
    elif who == "caseworker" or set(re.findall(r"\w+", who)) & parts:
        role = "caseworker"
    else:
        role = "someone named in the plan"
    return dataclasses.replace(step, who=role)


# --- free text ---------------------------------------------------------------------------------


def _name_parts(name: str) -> list[str]:
    """The name, and each part of it between any non-letters (hyphens of every kind,
    apostrophes, spaces), in the form NFKC gives (full-width letters become plain ones), and
    each part without its accents."""
    name = unicodedata.normalize("NFKC", name)
    parts = [p for p in re.split(r"[\W_]+", name) if len(p) >= 2]
    plain = [_without_accents(p) for p in parts]  # "Nuñez" is often typed "Nunez"
    return [name, *parts, *(p for p in plain if p not in parts)]


def _without_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _ref_pattern(ref: str) -> str | None:
    chars = [c for c in ref if c.isalnum()]
    if len(chars) < 3:
        return None
    body = r"[\W_]*".join(re.escape(c) for c in chars)
    if len(chars) >= 6:  # long enough to be the reference wherever it stands ("refSS202400917")
        return body
    return r"(?<![^\W_])" + body + r"(?![^\W_])"


def _phrase_pattern(phrase: str) -> str:
    """The phrase as written, or its words with any spacing or punctuation between them
    ("Jo’s  iPhone" or "JOS IPHONE" for a device called "Jo's iPhone", "kitchen pc" for
    "KITCHEN-PC")."""
    words = re.findall(r"[^\W_]+", phrase)
    if len(words) < 2:
        return re.escape(phrase)
    return re.escape(phrase) + "|" + r"[\W_]*".join(map(re.escape, words))


def _scrubber(
    names: Sequence[str],
    client_ref: str,
    words: Sequence[str],
    phrases: Sequence[str],
    also: Sequence[str],
) -> Callable[[str], str]:
    steps: list[tuple[re.Pattern[str], str]] = []
    literal = sorted({p for p in phrases if p}, key=len, reverse=True)
    if literal:
        alternatives = [_phrase_pattern(p) for p in literal]
        steps.append((re.compile("|".join(alternatives), re.IGNORECASE), REDACTED))
    ref = _ref_pattern(client_ref)
    if ref:
        steps.append((re.compile(ref, re.IGNORECASE), REDACTED))
    whole_words = {part for name in names for part in _name_parts(name)}
    whole_words.update(words)
    whole_words = {w for w in whole_words if w.strip()}
    if whole_words:
        alternatives = "|".join(map(re.escape, sorted(whole_words, key=len, reverse=True)))
        steps.append((re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE), REDACTED))
    if "emails" in also:
        steps.append((_EMAIL, "[email removed]"))
    if "phones" in also:
        steps.append((_PHONE, "[phone number removed]"))
    if "addresses" in also:
        steps += [(_STREET, "[address removed]"), (_POSTCODE, "[postcode removed]")]

    def scrub_once(text: str) -> str:
        for pattern, replacement in steps:
            text = pattern.sub(replacement, text)
        return text

    def scrub(text: str) -> str:
        """Scrubbed as written; if a name still shows once compatibility forms are folded
        (full-width or styled letters), the folded text is scrubbed instead."""
        text = scrub_once(text)
        folded = unicodedata.normalize("NFKC", text)
        if folded == text:
            return text
        folded_scrubbed = scrub_once(folded)
        return folded_scrubbed if folded_scrubbed != folded else text

    return scrub


def _scrub(value: Any, scrub: Callable[[str], str], name: str = "") -> Any:
    if isinstance(value, str):
        return value if name in _KEEP else scrub(value)
    if isinstance(value, tuple):
        return tuple(_scrub(part, scrub, name) for part in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _scrub(getattr(value, f.name), scrub, f.name) for f in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)
    return value
