"""What to do about each kind of phone finding, in plain words, for the person's region."""

from __future__ import annotations

_RECORD_FIRST = (
    "Do not {remove} yet: the person who installed it may notice, and the evidence would be "
    "lost. Record it first (save this check to your evidence log, and photograph the phone's "
    "screen showing it, for example in Settings > Apps). Talk to {help} before you change "
    "anything; they can help you plan what to do safely."
)
_SAFER_PHONE = (
    " Meanwhile, use a phone the other person has never had access to for anything private."
)


def help_words(region: str | None) -> str:
    from devicecheck.core.helplines import help_phrase

    return help_phrase(region)


def record_first(region: str | None, remove: str = "uninstall it or change its settings") -> str:
    return _RECORD_FIRST.format(remove=remove, help=help_words(region))


def stalkerware_advice(region: str | None) -> str:
    return (
        "This is known stalkerware: an app sold to secretly watch someone through their phone "
        "(messages, calls, location, photos). "
        + record_first(region, "uninstall it")
        + _SAFER_PHONE
    )


def dual_use_advice(what: str, region: str | None) -> str:
    return (
        f"Check: did you, or someone you trust, install this? {what} If you did not expect it, "
        + record_first(region, "remove it")
    )


def access_advice(what: str, region: str | None) -> str:
    return (
        f"{what} Apps installed from a file rather than an app store, holding this kind of "
        "access, is how phone spyware usually works. If you do not know this app: "
        + _lower_first(record_first(region, "uninstall it or take the access away"))
        + _SAFER_PHONE
    )


def setting_advice(what: str, region: str | None, *, secret: bool = False) -> str:
    text = f"{what} If you did not set this up yourself, someone else may have: " + _lower_first(
        record_first(region, "change it")
    )
    return text + (_SAFER_PHONE if secret else "")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
