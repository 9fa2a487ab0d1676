"""The protected data folder: nothing readable at rest, nothing writable without the passphrase,
and tampering caught (without the key on the public chain, with it on every entry)."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devicecheck.core import protect_folder, protection
from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog, Incident
from devicecheck.core.evidence.entries import seal_entry
from devicecheck.core.sessions import SessionStore
from devicecheck.errors import DeviceCheckError
from tests.conftest import assert_one_line_error, run_cli

PASSPHRASE = "correct horse battery staple"
FAST_KDF = protection.KdfParameters(n=2**12)  # the real default costs ~0.5 s per unlock
SECRETS = (
    b"He followed me to the bus stop",
    b"PHOTO-OF-THE-THREAT",
    b"client is afraid to go home",
    b"answer-note-about-the-tracker",
)


@pytest.fixture(autouse=True)
def _no_unlocked_folders() -> Iterator[None]:
    protection.forget_keys()
    protection.set_passphrase_provider(None)
    yield
    protection.forget_keys()
    protection.set_passphrase_provider(None)


@pytest.fixture
def filled(tmp_path: Path) -> DataDir:
    """A data folder with a note, an incident with a photo, an attachment, a session with an
    answer note, and an imported indicator file, all in plaintext to begin with."""
    data_dir = DataDir(tmp_path / "home")
    photo = tmp_path / "threat.jpg"
    photo.write_bytes(b"\xff\xd8" + SECRETS[1] * 1000)
    log = EvidenceLog(data_dir)
    log.add_note(SECRETS[0].decode())
    log.add_incident(Incident(what="Waited outside", impact="scared"), attachments=[photo])
    store = SessionStore(data_dir)
    session = store.create(mode="self")
    session.record_answer("phone-tracker", "yes", note=SECRETS[3].decode())
    session.add_caseworker_note(SECRETS[2].decode(), author="Sam")
    store.save(session)
    imported = data_dir.indicators / "imported"
    imported.mkdir(parents=True)
    (imported / "my-list.yaml").write_bytes(b"- name: stalker-app-i-fear\n")
    log.close()
    return data_dir


def _all_bytes(root: Path) -> bytes:
    return b"".join(path.read_bytes() for path in root.rglob("*") if path.is_file())


def test_protecting_a_folder_leaves_no_readable_text_at_rest(filled: DataDir) -> None:
    assert any(secret in _all_bytes(filled.root) for secret in SECRETS)  # plaintext before
    protect_folder.protect(filled.root, PASSPHRASE, FAST_KDF)
    everything = _all_bytes(filled.root)
    for secret in (*SECRETS, b"stalker-app-i-fear", b"Waited outside", b"threat.jpg"):
        assert secret not in everything
    # and new writes are encrypted too
    EvidenceLog(filled).add_note("written after protection: the car park")
    store = SessionStore(filled)
    session = store.create(mode="self")
    session.record_answer("x", "yes", note="the new answer text")
    store.save(session)
    everything = _all_bytes(filled.root)
    assert b"the car park" not in everything and b"the new answer text" not in everything


def test_a_protected_folder_reads_back_in_the_ordinary_format(filled: DataDir) -> None:
    before = EvidenceLog(filled).complete_lines()
    sessions_before = [s.to_dict() for s in SessionStore(filled).list().sessions]
    protect_folder.protect(filled.root, PASSPHRASE, FAST_KDF)
    protection.forget_keys()
    protection.unlock(filled.root, PASSPHRASE)
    log = EvidenceLog(filled)
    assert log.complete_lines() == before  # same canonical lines, same chain
    assert [s.to_dict() for s in SessionStore(filled).list().sessions] == sessions_before
    report = log.verify()
    assert report.ok and report.keyed is True and report.attachments == 1
    protect_folder.unprotect(filled.root)
    assert EvidenceLog(filled).complete_lines() == before
    assert SECRETS[0] in (filled.evidence / "log.jsonl").read_bytes()
    assert EvidenceLog(filled).verify().ok


def test_a_locked_folder_is_refused_and_nothing_is_written(filled: DataDir) -> None:
    protect_folder.protect(filled.root, PASSPHRASE, FAST_KDF)
    protection.forget_keys()
    before = {path: path.read_bytes() for path in filled.root.rglob("*") if path.is_file()}
    with pytest.raises(protection.LockedError):
        EvidenceLog(filled).add_note("no key")
    with pytest.raises(protection.LockedError):
        SessionStore(filled).create(mode="self")
    after = {path: path.read_bytes() for path in filled.root.rglob("*") if path.is_file()}
    assert after == before


def test_a_wrong_passphrase_does_not_unlock(filled: DataDir) -> None:
    protect_folder.protect(filled.root, PASSPHRASE, FAST_KDF)
    protection.forget_keys()
    with pytest.raises(protection.LockedError, match="does not unlock"):
        protection.unlock(filled.root, "not the passphrase")


def test_changing_the_passphrase_rewraps_the_key_and_rewrites_nothing(filled: DataDir) -> None:
    protect_folder.protect(filled.root, PASSPHRASE, FAST_KDF)
    files = {
        path: path.read_bytes()
        for path in filled.root.rglob("*")
        if path.is_file() and path.name != protection.HEADER_NAME
    }
    protection.change_passphrase(filled.root, PASSPHRASE, "a brand new passphrase", FAST_KDF)
    assert {path: path.read_bytes() for path in files} == files
    protection.forget_keys()
    with pytest.raises(protection.LockedError):
        protection.unlock(filled.root, PASSPHRASE)
    protection.unlock(filled.root, "a brand new passphrase")
    assert EvidenceLog(filled).verify().ok


def _forge_public_line(log_path: Path) -> None:
    """What someone without the key can do: append a line that fits the public chain."""
    import hashlib

    last = json.loads(log_path.read_bytes().splitlines()[-1])
    before = b'{"box":"' + b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldY" + b'"'
    after = b',"prev":"%b","seq":%d}' % (last["hash"].encode(), last["seq"] + 1)
    digest = hashlib.sha256(before + after).hexdigest().encode()
    with open(log_path, "ab") as handle:
        handle.write(before + b',"hash":"' + digest + b'"' + after + b"\n")


def test_a_forged_line_fitting_the_public_chain_is_caught_with_the_key(filled: DataDir) -> None:
    protect_folder.protect(filled.root, PASSPHRASE, FAST_KDF)
    _forge_public_line(filled.evidence / "log.jsonl")
    protection.forget_keys()
    public = EvidenceLog(filled).verify(keyed=False)
    assert public.ok and public.keyed is False  # the stored bytes fit: said as only that
    protection.unlock(filled.root, PASSPHRASE)
    keyed = EvidenceLog(filled).verify()
    assert not keyed.ok and keyed.first_bad.reason == "forged" and keyed.first_bad.seq == 3


def test_a_forged_line_that_ignores_the_public_chain_is_caught_without_the_key(
    filled: DataDir,
) -> None:
    protect_folder.protect(filled.root, PASSPHRASE, FAST_KDF)
    keys = protection.keys_for(filled.root)
    # An ordinary plaintext entry (someone using the documented format) appended.
    _, line = seal_entry(seq=3, prev="0" * 64, kind="note", data={"text": "x"}, session=None,
                         author="self")  # fmt: skip
    with open(filled.evidence / "log.jsonl", "ab") as handle:
        handle.write(line)
    protection.forget_keys()
    public = EvidenceLog(filled).verify(keyed=False)
    assert not public.ok and public.first_bad.seq == 3
    assert keys is not None


@settings(max_examples=40)
@given(position=st.integers(min_value=0), replacement=st.integers(min_value=0, max_value=255))
def test_any_single_byte_change_of_a_protected_log_is_caught(
    protected_log: tuple[DataDir, bytes], position: int, replacement: int
) -> None:
    data_dir, original = protected_log
    position %= len(original)
    if original[position] == replacement:
        return
    changed = bytearray(original)
    changed[position] = replacement
    (data_dir.evidence / "log.jsonl").write_bytes(bytes(changed))
    try:
        assert not EvidenceLog(data_dir).verify(keyed=False).ok  # caught without the key
        report = EvidenceLog(data_dir).verify()
        assert not report.ok
    finally:
        (data_dir.evidence / "log.jsonl").write_bytes(original)


@pytest.fixture(scope="module")
def protected_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[DataDir, bytes]:
    data_dir = DataDir(tmp_path_factory.mktemp("protected") / "home")
    protect_folder.protect(data_dir.root, PASSPHRASE, FAST_KDF)
    log = EvidenceLog(data_dir)
    for text in ("one", "two", "three ü"):
        log.add_note(text)
    log.close()
    keys = protection.keys_for(data_dir.root)
    assert keys is not None
    return data_dir, (data_dir.evidence / "log.jsonl").read_bytes()


@pytest.fixture(autouse=True)
def _unlock_module_folder(request: pytest.FixtureRequest) -> None:
    if "protected_log" in request.fixturenames:
        data_dir, _ = request.getfixturevalue("protected_log")
        protection.unlock(data_dir.root, PASSPHRASE)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=60)
@given(
    data=st.dictionaries(st.text(max_size=10), _JSON, max_size=5),
    kind=st.sampled_from(("note", "incident", "finding", "answer", "consent", "case-note")),
    author=st.text(min_size=1, max_size=20).filter(str.strip),
)
def test_round_trip_of_any_entry_through_the_sealed_form(
    data: dict, kind: str, author: str
) -> None:
    from devicecheck.core.evidence import sealed
    from devicecheck.core.evidence.entries import parse_line

    keys = protection.keys_from_data_key(b"k" * 32)
    try:
        entry, line = seal_entry(
            seq=7, prev="a" * 64, kind=kind, data=data, session=None, author=author
        )
    except DeviceCheckError:
        return  # not storable (a lone surrogate): refused before sealing, as in plaintext
    stored, _ = sealed.seal_line(keys, 7, "b" * 64, line[:-1])
    opened = sealed.open_line(keys, stored[:-1])
    assert opened + b"\n" == line
    assert parse_line(opened) == entry


def test_a_large_attachment_is_streamed_in_chunks(tmp_path: Path) -> None:
    import tracemalloc

    data_dir = DataDir(tmp_path / "home")
    protect_folder.protect(data_dir.root, PASSPHRASE, FAST_KDF)
    photo = tmp_path / "big.jpg"
    photo.write_bytes(os.urandom(3 * 1024 * 1024))
    log = EvidenceLog(data_dir)
    tracemalloc.start()
    log.attach(photo, note="a large photo")
    report = log.verify()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.ok and report.attachments == 1
    assert peak < 3 * 1024 * 1024  # never the whole 3 MB at once
    stored = next((data_dir.evidence / "files").iterdir())
    assert stored.read_bytes()[:8] == protection.FILE_MAGIC
    stored_bytes = bytearray(stored.read_bytes())
    stored_bytes[100_000] ^= 1
    stored.write_bytes(bytes(stored_bytes))
    assert EvidenceLog(data_dir).verify().first_bad.reason == "attachment altered"


def test_a_cut_short_encrypted_file_is_refused(filled: DataDir) -> None:
    protect_folder.protect(filled.root, PASSPHRASE, FAST_KDF)
    path = next(filled.sessions.glob("*.json"))
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(DeviceCheckError, match="cut short"):
        protection.read_private(path)


def test_a_plaintext_file_planted_in_a_protected_folder_is_refused(filled: DataDir) -> None:
    protect_folder.protect(filled.root, PASSPHRASE, FAST_KDF)
    planted = filled.sessions / "20260101-abcdef.json"
    planted.write_bytes(b'{"id": "20260101-abcdef"}')
    with pytest.raises(DeviceCheckError, match="not written with its key"):
        protection.read_private(planted)


def test_a_protected_log_without_its_header_is_never_written_in_plaintext(
    filled: DataDir,
) -> None:
    protect_folder.protect(filled.root, PASSPHRASE, FAST_KDF)
    (filled.root / protection.HEADER_NAME).unlink()
    protection.forget_keys()
    before = (filled.evidence / "log.jsonl").read_bytes()
    with pytest.raises(DeviceCheckError, match="header"):
        EvidenceLog(filled).add_note("would be plaintext")
    assert (filled.evidence / "log.jsonl").read_bytes() == before


def test_a_crash_before_the_switch_leaves_the_folder_as_it_was(filled: DataDir) -> None:
    before = EvidenceLog(filled).complete_lines()
    keys = protection.keys_from_data_key(b"x" * 32)
    operations = protect_folder._stage_protected(filled.root, keys)
    protect_folder._write_journal(filled.root, "protect", operations)  # then "killed"
    protect_folder.recover(filled.root)
    assert not protection.is_protected(filled.root)
    assert not list(filled.root.rglob("*.dcnew"))
    assert EvidenceLog(filled).complete_lines() == before and EvidenceLog(filled).verify().ok


def test_a_crash_after_the_switch_is_finished_on_the_next_run(filled: DataDir) -> None:
    before = EvidenceLog(filled).complete_lines()
    header, data_key = protection.new_header(PASSPHRASE, FAST_KDF)
    keys = protection.keys_from_data_key(data_key)
    operations = protect_folder._stage_protected(filled.root, keys)
    protect_folder._write_journal(filled.root, "protect", operations)
    protection.write_header(filled.root, header)  # the switch, then "killed"
    protect_folder.recover(filled.root)
    assert not list(filled.root.rglob("*.dcnew"))
    for secret in SECRETS:
        assert secret not in _all_bytes(filled.root)
    protection.unlock(filled.root, PASSPHRASE)
    assert EvidenceLog(filled).complete_lines() == before


# --- the command line --------------------------------------------------------------------------


def test_cli_protect_then_every_command_needs_the_passphrase(
    filled: DataDir, tmp_path: Path
) -> None:
    passphrase_file = tmp_path / "pass.txt"
    passphrase_file.write_text(PASSPHRASE + "\n")
    home = str(filled.root)
    result = run_cli("protect", "--passphrase-file", str(passphrase_file), data_dir=filled.root)
    assert result.returncode == 0, result.stderr
    header = json.loads((filled.root / protection.HEADER_NAME).read_text())
    assert header["kdf"]["name"] == "scrypt" and header["cipher"] == "AES-256-GCM"
    before = _all_bytes(filled.root)

    for command in (["log", "list"], ["log", "add-note", "x"], ["session", "list"]):
        refused = run_cli(*command, data_dir=filled.root)
        assert_one_line_error(refused, 2)
        assert "passphrase" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert _all_bytes(filled.root) == before  # nothing half-written

    listed = run_cli("log", "list", "--passphrase-file", str(passphrase_file), data_dir=filled.root)
    assert listed.returncode == 0 and SECRETS[0].decode() in listed.stdout
    by_env = run_cli(
        "log", "add-note", "by the variable", data_dir=filled.root,
        env={"DEVICECHECK_PASSPHRASE_FILE": str(passphrase_file)},
    )  # fmt: skip
    assert by_env.returncode == 0, by_env.stderr
    public = run_cli("log", "verify", data_dir=filled.root)
    assert public.returncode == 0 and "stored lines" in public.stdout
    keyed = run_cli("log", "verify", "--passphrase-file", str(passphrase_file), data_dir=home)
    assert keyed.returncode == 0 and "opened with the folder's key" in keyed.stdout

    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase at all\n")
    assert_one_line_error(run_cli("log", "list", "--passphrase-file", str(wrong), data_dir=home))

    off = run_cli("unprotect", "--passphrase-file", str(passphrase_file), data_dir=home)
    assert off.returncode == 0, off.stderr
    assert b"by the variable" in (filled.evidence / "log.jsonl").read_bytes()
    assert run_cli("log", "verify", data_dir=home).returncode == 0


def test_cli_protect_refuses_a_short_passphrase_and_a_second_protect(tmp_path: Path) -> None:
    home = tmp_path / "home"
    short = tmp_path / "short.txt"
    short.write_text("abc\n")
    assert_one_line_error(run_cli("protect", "--passphrase-file", str(short), data_dir=home))
    assert not (home / protection.HEADER_NAME).exists()
    assert_one_line_error(run_cli("protect", data_dir=home))  # no terminal, no file


def test_pack_and_export_of_a_protected_folder_are_plaintext_and_verify(
    filled: DataDir, tmp_path: Path
) -> None:
    import hashlib
    import subprocess
    import sys
    import zipfile

    passphrase_file = tmp_path / "pass.txt"
    passphrase_file.write_text(PASSPHRASE + "\n")
    session_id = next(filled.sessions.glob("*.json")).stem
    photo = tmp_path / "threat.jpg"
    attached = run_cli("log", "attach", str(photo), "--session", session_id, data_dir=filled.root)
    assert attached.returncode == 0, attached.stderr
    protect_folder.protect(filled.root, PASSPHRASE, FAST_KDF)
    protection.forget_keys()
    key = ["--passphrase-file", str(passphrase_file)]
    pack = tmp_path / "pack.zip"
    made = run_cli("pack", session_id, "-o", str(pack), *key, data_dir=filled.root)
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "unpacked"
    zipfile.ZipFile(pack).extractall(folder)
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert (folder / "evidence" / "files" / digest).read_bytes() == photo.read_bytes()
    checked = subprocess.run(
        [sys.executable, str(folder / "verify.py")], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    exported = tmp_path / "export.jsonl"
    done = run_cli("log", "export", "--format", "jsonl", "-o", str(exported), *key,
                   data_dir=filled.root)  # fmt: skip
    assert done.returncode == 0 and "NOT encrypted" in done.stderr
    assert SECRETS[0] in exported.read_bytes()


def test_a_removed_header_never_lets_a_session_be_written_in_plaintext(filled: DataDir) -> None:
    protect_folder.protect(filled.root, PASSPHRASE, FAST_KDF)
    (filled.root / protection.HEADER_NAME).unlink()
    protection.forget_keys()
    with pytest.raises(DeviceCheckError, match="header"):
        SessionStore(filled).create(mode="self")
    assert len(list(filled.sessions.glob("*.json"))) == 1  # only the encrypted one from before


# --- hypothesis: every new reader of outside input gives one clear error, never a crash -----------


@settings(max_examples=80)
@given(st.binary(max_size=300) | st.builds(lambda v: json.dumps(v).encode(), _JSON))
def test_any_header_is_read_or_refused_cleanly(raw: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / protection.HEADER_NAME).write_bytes(raw)
        try:
            protection.unlock(Path(folder), PASSPHRASE)
        except DeviceCheckError:
            return
        raise AssertionError("a header that devicecheck did not write unlocked")


@settings(max_examples=80)
@given(
    st.fixed_dictionaries(
        {
            "format": st.just(protection.HEADER_FORMAT),
            "version": st.just(protection.HEADER_VERSION),
            "kdf": st.fixed_dictionaries(
                {
                    "name": st.just("scrypt"),
                    "n": st.integers(-5, 2**40) | st.just(1024),
                    "r": st.integers(-1, 64),
                    "p": st.integers(-1, 64),
                    "salt": st.text(max_size=30),
                }
            ),
            "wrapped_key": st.text(max_size=80),
        }
    )
)
def test_header_parameters_out_of_range_are_refused_not_run(header: dict) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / protection.HEADER_NAME).write_text(json.dumps(header))
        with pytest.raises(DeviceCheckError):
            protection.unlock(Path(folder), PASSPHRASE)


@settings(max_examples=150)
@given(st.binary(max_size=400))
def test_any_bytes_as_an_encrypted_file_are_refused_cleanly(raw: bytes) -> None:
    import io

    keys = protection.keys_from_data_key(b"k" * 32)
    with pytest.raises(DeviceCheckError):
        b"".join(protection.decrypt_stream(keys, b"sessions/x.json", io.BytesIO(raw)))


@settings(max_examples=150)
@given(st.binary(max_size=300) | st.builds(lambda v: json.dumps(v).encode(), _JSON))
def test_any_line_as_a_sealed_entry_is_refused_cleanly(raw: bytes) -> None:
    from devicecheck.core.evidence import sealed

    keys = protection.keys_from_data_key(b"k" * 32)
    with pytest.raises(DeviceCheckError):
        sealed.open_line(keys, raw)


@settings(max_examples=80)
@given(st.binary(max_size=300) | st.builds(lambda v: json.dumps(v).encode(), _JSON))
def test_any_journal_is_recovered_or_refused_cleanly(raw: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        outside = root.parent / f"{root.name}-outside"
        (root / protection.JOURNAL_NAME).write_bytes(raw)
        with contextlib.suppress(DeviceCheckError):
            protect_folder.recover(root)
        assert not outside.exists()


def test_a_journal_naming_paths_outside_the_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "home"
    root.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    journal = {"direction": "unprotect", "operations": [["x.dcnew", "../victim.txt", None]]}
    (root / protection.JOURNAL_NAME).write_text(json.dumps(journal))
    (root / "x.dcnew").write_text("planted")
    with pytest.raises(DeviceCheckError, match="damaged"):
        protect_folder.recover(root)
    assert victim.read_text() == "keep me"


def test_cli_change_passphrase_and_unprotect_need_the_passphrase(tmp_path: Path) -> None:
    home = tmp_path / "home"
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text(PASSPHRASE + "\n")
    new.write_text("the second passphrase\n")
    assert run_cli("log", "add-note", "kept", data_dir=home).returncode == 0
    protect_folder.protect(home, PASSPHRASE, FAST_KDF)
    protection.forget_keys()
    log_before = (home / "evidence" / "log.jsonl").read_bytes()
    changed = run_cli(
        "protect", "--change", "--passphrase-file", str(old), "--new-passphrase-file", str(new),
        data_dir=home,
    )  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert (home / "evidence" / "log.jsonl").read_bytes() == log_before  # nothing rewritten
    assert_one_line_error(run_cli("log", "list", "--passphrase-file", str(old), data_dir=home))
    assert_one_line_error(run_cli("unprotect", data_dir=home))
    assert protection.is_protected(home)
    off = run_cli("unprotect", "--passphrase-file", str(new), data_dir=home)
    assert off.returncode == 0, off.stderr
    assert b"kept" in (home / "evidence" / "log.jsonl").read_bytes()
