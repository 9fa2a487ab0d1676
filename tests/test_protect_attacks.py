"""A person with access to this computer against a protected folder, through the real command:
odd passphrase files, an edited or removed header, a forged line, a wrong passphrase."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devicecheck.core import protect_folder, protection
from devicecheck.core.datadir import DataDir
from devicecheck.core.sessions import SessionStore
from devicecheck.core.textsafety import json_text
from devicecheck.errors import DeviceCheckError
from tests.conftest import assert_one_line_error, run_cli

PASSPHRASE = "correct horse battery staple"
FAST_KDF = protection.KdfParameters(n=2**12)  # the real default costs ~0.5 s per unlock
SECRET = "SECRET-CASE-REF-4711"


@pytest.fixture(autouse=True)
def _no_unlocked_folders() -> Iterator[None]:
    protection.forget_keys()
    yield
    protection.forget_keys()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A protected folder (default scrypt cost, as `devicecheck protect` makes it) with a note."""
    root = tmp_path / "home"
    passphrase_file = tmp_path / "pass.txt"
    passphrase_file.write_text(PASSPHRASE + "\n")
    made = run_cli("protect", "--passphrase-file", str(passphrase_file), data_dir=root)
    assert made.returncode == 0, made.stderr
    note = run_cli("--passphrase-file", str(passphrase_file), "log", "add-note", "x", data_dir=root)
    assert note.returncode == 0, note.stderr
    return root


def _all_bytes(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def _one_line(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert_one_line_error(result, code)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_wrong_passphrase_is_one_line_and_writes_nothing(home: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase at all\n")
    before = _all_bytes(home)
    result = run_cli("--passphrase-file", str(wrong), "log", "add-note", SECRET, data_dir=home)
    _one_line(result, 2)
    assert "does not unlock" in result.stderr
    assert _all_bytes(home) == before


@pytest.mark.parametrize("source", ["/dev/zero", "fifo", "huge"])
def test_a_passphrase_file_that_never_ends_is_one_line_not_a_hang(
    home: Path, tmp_path: Path, source: str
) -> None:
    path = Path(source)
    if source == "fifo":  # a named pipe nobody writes to: reading it would wait for ever
        path = tmp_path / "pipe"
        os.mkfifo(path)
    elif source == "huge":  # 8 MB without a line end: not a passphrase
        path = tmp_path / "huge.txt"
        path.write_bytes(b"a" * 8_000_000)
    before = _all_bytes(home)
    try:
        result = run_cli("--passphrase-file", str(path), "log", "list", data_dir=home, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"devicecheck waited for ever on a passphrase file that is {source}")
    _one_line(result, 2)
    assert _all_bytes(home) == before


def test_a_huge_passphrase_file_whose_first_line_is_the_passphrase_works(
    home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "long.txt"
    path.write_bytes(PASSPHRASE.encode() + b"\r\n" + b"b" * 1_000_000)
    result = run_cli("--passphrase-file", str(path), "log", "list", data_dir=home)
    assert result.returncode == 0, result.stderr


def test_a_header_edited_to_a_weaker_key_derivation_is_refused_and_named(
    home: Path, tmp_path: Path
) -> None:
    passphrase_file = tmp_path / "pass.txt"
    header_file = home / protection.HEADER_NAME
    header = json.loads(header_file.read_text())
    header["kdf"]["n"] = 2**10  # cheap to guess, if it were ever accepted
    header_file.write_text(json.dumps(header))
    before = _all_bytes(home)
    result = run_cli(
        "--passphrase-file", str(passphrase_file), "log", "add-note", SECRET, data_dir=home
    )
    _one_line(result, 2)
    assert "weaker key derivation" in result.stderr and "edited" in result.stderr
    assert _all_bytes(home) == before


def test_a_removed_header_with_no_log_yet_never_lets_plaintext_be_written(
    tmp_path: Path,
) -> None:
    """Protected with only a session in it (no evidence log yet), then the header deleted: no
    command may write a note or a session in plaintext beside the encrypted one."""
    data_dir = DataDir(tmp_path / "home")
    protect_folder.protect(data_dir.root, PASSPHRASE, FAST_KDF)
    SessionStore(data_dir).create(mode="self")
    (data_dir.root / protection.HEADER_NAME).unlink()
    protection.forget_keys()
    before = _all_bytes(data_dir.root)
    for command in (
        ["log", "add-note", SECRET],
        ["session", "new", "--caseworker", "Sam", "--client-ref", SECRET],
    ):
        result = run_cli(*command, data_dir=data_dir.root)
        _one_line(result, 1)
        assert protection.HEADER_NAME in result.stderr
    assert _all_bytes(data_dir.root) == before


def test_a_conversion_left_half_way_is_not_taken_for_a_removed_header(tmp_path: Path) -> None:
    """Staged encrypted copies of a protect that was killed before its switch are not the
    folder's state: the plaintext folder stays usable (the CLI clears them on start)."""
    data_dir = DataDir(tmp_path / "home")
    SessionStore(data_dir).create(mode="self")
    keys = protection.keys_from_data_key(os.urandom(32))
    staged = data_dir.sessions / ("0" + protection.STAGED_SUFFIX)
    staged.write_bytes(b"".join(protection.encrypt_chunks(keys, b"x", iter([b"secret"]))))
    assert not protection.header_was_removed(data_dir.root)


def _append_forged_line(log: Path, fitting: bool) -> None:
    """A line someone without the passphrase writes: a random box, linked into the public chain
    with the documented hash (fitting) or not."""
    last = json.loads(log.read_bytes().splitlines()[-1])
    member = {"box": os.urandom(80).hex(), "prev": last["hash"] if fitting else "f" * 64}
    member["seq"] = last["seq"] + 1
    canonical = json.dumps(member, sort_keys=True, separators=(",", ":")).encode()
    member["hash"] = hashlib.sha256(canonical).hexdigest()
    with open(log, "ab") as handle:
        handle.write(json.dumps(member, sort_keys=True, separators=(",", ":")).encode() + b"\n")


def test_cli_verify_of_a_forged_line_with_and_without_the_passphrase(
    home: Path, tmp_path: Path
) -> None:
    passphrase_file = str(tmp_path / "pass.txt")
    log = home / "evidence" / "log.jsonl"
    original = log.read_bytes()

    _append_forged_line(log, fitting=False)
    broken = run_cli("log", "verify", data_dir=home)
    assert broken.returncode == 1 and "NOT intact" in broken.stdout, broken.stdout

    log.write_bytes(original)
    _append_forged_line(log, fitting=True)
    keyless = run_cli("log", "verify", data_dir=home)
    # Without the key a line that fits the public chain cannot be told apart, and the output
    # must not claim more than that: no "unchanged", and it names what is not checked.
    assert keyless.returncode == 0, keyless.stdout
    assert "unchanged" not in keyless.stdout and "intact" not in keyless.stdout
    assert "--passphrase-file" in keyless.stdout
    keyed = run_cli("--passphrase-file", passphrase_file, "log", "verify", data_dir=home)
    assert keyed.returncode == 1 and "forged" in keyed.stdout, keyed.stdout


def test_cli_a_protected_log_cut_short_is_caught_by_a_receipt_and_said_plainly(
    home: Path, tmp_path: Path
) -> None:
    passphrase = ["--passphrase-file", str(tmp_path / "pass.txt")]
    for text in ("two", "three"):
        assert run_cli(*passphrase, "log", "add-note", text, data_dir=home).returncode == 0
    receipt = json.loads(run_cli(*passphrase, "log", "receipt", "--json", data_dir=home).stdout)
    log = home / "evidence" / "log.jsonl"
    log.write_bytes(b"".join(log.read_bytes().splitlines(keepends=True)[:1]))

    alone = run_cli(*passphrase, "log", "verify", data_dir=home)
    assert alone.returncode == 0 and "only by a receipt" in alone.stdout, alone.stdout
    checked = run_cli(
        *passphrase, "log", "verify", "--receipt", receipt["short_form"], data_dir=home
    )
    assert checked.returncode == 1, checked.stdout
    assert "NOT intact" in checked.stdout and "is intact" not in checked.stdout


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=6000))
def test_any_passphrase_file_gives_its_first_line_or_one_clear_error(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes
) -> None:
    path = tmp_path_factory.mktemp("pass") / "pass.txt"
    path.write_bytes(raw)
    try:
        passphrase = protection.read_passphrase_file(path)
    except DeviceCheckError as error:
        assert "\n" not in error.message
        return
    first = raw.split(b"\n", 1)[0].rstrip(b"\r")
    assert passphrase.encode("utf-8") == first and passphrase


_UNSAFE = "\x7f\x85\x9b\u061c\u200e\u202e\u2066\u2028\u2029"


@settings(max_examples=200, deadline=None)
@given(
    value=st.recursive(
        st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(_UNSAFE)) | st.integers(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)
def test_json_output_means_the_same_and_carries_nothing_a_terminal_obeys(value: object) -> None:
    printed = json_text(json.dumps(value, ensure_ascii=False, indent=2))
    assert json.loads(printed) == value
    assert not any(character in printed for character in _UNSAFE)


def test_changing_the_passphrase_of_a_header_edited_weaker_is_refused_and_named(
    tmp_path: Path,
) -> None:
    root = tmp_path / "home"
    protect_folder.protect(root, PASSPHRASE, protection.KdfParameters(n=2**14))
    header = json.loads((root / protection.HEADER_NAME).read_text())
    header["kdf"]["n"] = 2**10
    protection.write_header(root, header)
    with pytest.raises(protection.LockedError, match="weaker key derivation"):
        protection.change_passphrase(root, PASSPHRASE, "a new passphrase here")
    assert json.loads((root / protection.HEADER_NAME).read_text()) == header


def test_cli_everything_written_after_protect_is_unreadable_at_rest(
    home: Path, tmp_path: Path
) -> None:
    """Every kind of thing the commands keep, written into a protected folder through the real
    commands; then every byte of every file in the folder (log, attachments, sessions, scan
    baseline, indicator imports and caches, quarantine, lock and temporary files) is searched
    for each of them."""
    secrets = {
        "note": "MARKER-NOTE-he-waited",
        "incident": "MARKER-INCIDENT-car-park",
        "attachment": "MARKER-ATTACHMENT-BYTES",
        "attachment name": "MARKER-PHOTO-NAME",
        "case reference": "MARKER-CASE-REF",
        "caseworker": "Zelda Markerworth",
        "caseworker note": "MARKER-CASEWORKER-NOTE",
        "action": "MARKER-ACTION-change-pin",
        "consent": "MARKER-CONSENT-EXPLAINED",
        "answer": "MARKER-WALK-ANSWER",
        "imported list": "MARKER-IMPORTED-APP",
    }
    passphrase = ["--passphrase-file", str(tmp_path / "pass.txt")]

    def run(*args: str, input: str | None = None) -> str:
        result = run_cli(*passphrase, *args, data_dir=home, input=input)
        assert result.returncode in (0, 1), (args, result.stderr)
        return result.stdout

    photo = tmp_path / f"{secrets['attachment name']}.jpg"
    photo.write_text(secrets["attachment"])
    run("log", "add-note", secrets["note"])
    run("log", "add-incident", "--what", secrets["incident"], "--attach", str(photo))
    session = run(
        "session", "new", "--caseworker", secrets["caseworker"],
        "--client-ref", secrets["case reference"], "--json",
    )  # fmt: skip
    session_id = json.loads(session)["id"]
    for step in ("walkthrough", "scan", "evidence"):
        run("session", "consent", session_id, "--step", step,
            "--explained", secrets["consent"], "--answer", "given")  # fmt: skip
    run("session", "note", session_id, secrets["caseworker note"])
    run("session", "action", session_id, "--what", secrets["action"], "--who", "client",
        "--by", "2030-01-01")  # fmt: skip
    run(
        "walk",
        "--plain",
        "--essentials",
        "--session",
        session_id,
        input=f"y {secrets['answer']}\nq\n",
    )  # a note follows the answer after a space
    run("scan", "--save", "--session", session_id)
    listed = tmp_path / "list.yaml"
    listed.write_text(
        f"- name: {secrets['imported list']}\n  type: stalkerware\n  packages:\n"
        "  - com.marker.app\n"
    )
    run("indicators", "import", str(listed))
    run("indicators", "info")
    with open(home / "evidence" / "log.jsonl", "ab") as log:
        log.write(b'{"box":"torn')  # a torn tail, set aside by repair into quarantine
    run("log", "repair")

    kept = [path for path in home.rglob("*") if path.is_file()]
    assert any(path.name == "scan-baseline.json" for path in kept)
    assert any("quarantine" in path.parts for path in kept)
    assert any("imported" in path.parts for path in kept)
    for path in kept:
        raw = path.read_bytes()
        for what, secret in secrets.items():
            for form in (secret.encode(), secret.encode("utf-16-le")):
                assert form not in raw, f"{what} readable in {path.relative_to(home)}"
    # Each of them is kept (the search above was not of an empty folder): unprotected, every
    # one is found again in plaintext.
    run("unprotect")
    plain = b"".join(path.read_bytes() for path in home.rglob("*") if path.is_file())
    missing = [what for what, secret in secrets.items() if secret.encode() not in plain]
    assert not missing, missing


def test_an_attached_file_that_happens_to_be_encrypted_is_not_taken_for_a_removed_header(
    tmp_path: Path,
) -> None:
    """A plain folder may keep any file as evidence, even one encrypted by devicecheck
    elsewhere (a copied session of a protected folder): writing there stays possible."""
    encrypted = tmp_path / "from-another-folder.json"
    keys = protection.keys_from_data_key(os.urandom(32))
    encrypted.write_bytes(b"".join(protection.encrypt_chunks(keys, b"x", iter([b"secret"]))))
    home = tmp_path / "home"
    assert run_cli("log", "attach", str(encrypted), data_dir=home).returncode == 0
    added = run_cli("log", "add-note", "still writable", data_dir=home)
    assert added.returncode == 0, added.stderr
