"""Someone else's way in: SSH keys, remote-desktop listeners, preloaded libraries, new accounts.

Real files, a real listening socket on 127.0.0.x, real processes started with LD_PRELOAD.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.scan.accounts import parse_passwd, parse_shadow_dates
from devicecheck.core.scan.authorized_keys import (
    parse_authorized_keys,
    parse_key_line,
    split_options,
)
from devicecheck.core.scan.connections import ObservedConnection, observe_connections
from devicecheck.core.scan.findings import ScanContext
from devicecheck.core.scan.processes import read_process
from devicecheck.core.scan.way_in import (
    WayInRoots,
    check_accounts,
    check_remote_desktop_listeners,
    check_way_in,
    read_environments,
    untrusted_preloads,
)
from tests.scan_behaviour_support import copy_of_sleep, ordinary_processes, running

# Made with `ssh-keygen -t ed25519 -C alex@laptop`; `ssh-keygen -lf` printed the fingerprint.
ED25519 = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINjB4JqhHpwxXaD9cHhofvcRqq0bmI7Ivv1eLib9t91w alex@laptop"
)
ED25519_FINGERPRINT = "SHA256:8YbDrIXkq2qeAsR8Y6dRJlbcje+pjCbLHVSlWT57I+Q"
AUTHORIZED_KEYS = f"""\
# keys for this account

{ED25519}
command="/usr/bin/rsync --server, -e.",no-pty,from="10.0.0.1,192.168.1.*" {ED25519.rsplit(" ", 1)[0]}
no-port-forwarding,environment="NOTE=a \\"quoted\\" word" {ED25519.rsplit(" ", 1)[0]} backup key
ssh-ed25519 not-base64!! broken
ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAINjB4JqhHpwxXaD9cHhofvcRqq0bmI7Ivv1eLib9t91w wrong type
just some words
"""


def context_for(home: Path, processes=(), connections=()) -> ScanContext:
    return ScanContext(
        tuple(processes), "linux", home, IndicatorSet((), ()), None, None, tuple(connections)
    )


# --- authorized_keys ---------------------------------------------------------------------------


def test_keys_are_read_with_their_options_comment_and_fingerprint():
    parsed = parse_authorized_keys(AUTHORIZED_KEYS)
    assert [key.line for key in parsed.keys] == [3, 4, 5]
    assert parsed.unreadable_lines == 3
    first, restricted, quoted = parsed.keys
    assert first.comment == "alex@laptop"
    assert first.fingerprint == ED25519_FINGERPRINT
    assert restricted.options == (
        "command=/usr/bin/rsync --server, -e.",
        "no-pty",
        "from=10.0.0.1,192.168.1.*",
    )
    assert restricted.comment == ""
    assert quoted.options == ("no-port-forwarding", 'environment=NOTE=a "quoted" word')
    assert quoted.comment == "backup key"


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")
@pytest.mark.parametrize("key_type", ["rsa", "ecdsa", "ed25519"])
def test_fingerprints_agree_with_ssh_keygen(tmp_path, key_type):
    key = tmp_path / "id"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", key_type, "-N", "", "-C", "someone", "-f", str(key)], check=True
    )
    expected = subprocess.run(
        ["ssh-keygen", "-lf", f"{key}.pub"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    (parsed,) = parse_authorized_keys(Path(f"{key}.pub").read_text()).keys
    assert parsed.fingerprint == expected


def test_an_unterminated_quote_is_an_unreadable_line():
    with pytest.raises(ValueError):
        split_options('command="echo hi ssh-ed25519 AAAA')
    assert parse_authorized_keys('command="echo ' + ED25519).unreadable_lines == 1


@given(st.text(max_size=300))
def test_any_text_is_keys_or_unreadable_lines(text):
    parsed = parse_authorized_keys(text)
    assert parsed.unreadable_lines <= len(text.splitlines())


_option = st.one_of(
    st.sampled_from(["no-pty", "restrict", "no-agent-forwarding"]),
    st.builds(
        lambda name, value: f'{name}="{value}"',
        st.sampled_from(["command", "from", "environment"]),
        st.text(alphabet=st.characters(blacklist_characters='"\\\n\r'), max_size=30),
    ),
)


@given(st.lists(_option, min_size=1, max_size=4), st.text(max_size=20).map(str.strip))
def test_keys_behind_any_options_are_found(options, comment):
    line = ",".join(options) + " " + ED25519.rsplit(" ", 1)[0] + (" " + comment if comment else "")
    key = parse_key_line(line.replace("\n", " ").replace("\r", " "), 1)
    assert key is not None
    assert key.fingerprint == ED25519_FINGERPRINT
    assert len(key.options) == len(options)


def test_each_key_in_the_home_folder_is_a_finding_saying_it_allows_a_login(tmp_path):
    ssh = tmp_path / "home" / ".ssh"
    ssh.mkdir(parents=True)
    (ssh / "authorized_keys").write_text(AUTHORIZED_KEYS)
    system = tmp_path / "root"
    (system / "etc").mkdir(parents=True)
    (system / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    outcome = check_way_in(context_for(tmp_path / "home"), WayInRoots(system))
    keys = [finding for finding in outcome.findings if finding.matched.field == "authorized_keys"]
    assert len(keys) == 3
    assert keys[0].detail["fingerprint"] == ED25519_FINGERPRINT
    assert "alex@laptop" in keys[0].app
    assert "without a password" in keys[0].advice
    assert outcome.examined["authorized_keys"] == 3
    assert any("lines that are not keys" in item.what for item in outcome.not_examined)


# --- remote-desktop listeners ----------------------------------------------------------------


def _listen_on_a_vnc_port(host: str) -> socket.socket:
    for port in range(5900, 5911):
        server = socket.socket()
        try:
            server.bind((host, port))
        except OSError:
            server.close()
            continue
        server.listen()
        return server
    pytest.skip("every VNC port on the test address is taken")


def test_a_listening_vnc_server_is_reported_with_who_runs_it():
    server = _listen_on_a_vnc_port("127.0.0.7")
    try:
        port = server.getsockname()[1]
        connections, _ = observe_connections()  # what the scan reads, through psutil
        findings = check_remote_desktop_listeners(connections, read_process)
    finally:
        server.close()
    (finding,) = [f for f in findings if f.matched.value == f"127.0.0.7:{port}"]
    assert finding.kind == "access"
    assert finding.category == "remote-access"
    assert finding.process.pid == os.getpid()
    assert "VNC" in finding.advice and "only from this computer" in finding.advice
    assert finding.confidence == "low"


def test_a_listener_on_another_port_or_a_connection_is_not_reported():
    connections = (
        ObservedConnection("tcp", "0.0.0.0", 8080, None, None, "LISTEN", None),
        ObservedConnection("tcp", "10.0.0.2", 51000, "10.0.0.9", 5900, "ESTABLISHED", None),
        ObservedConnection("tcp", "0.0.0.0", 3389, None, None, "LISTEN", None),
    )
    (finding,) = check_remote_desktop_listeners(connections, read_process)
    assert finding.app == "Remote Desktop (RDP)"
    assert finding.confidence == "medium"
    assert "could not name" in finding.advice
    # a listener the indicator stage already reported is not reported twice
    assert check_remote_desktop_listeners(connections, read_process, None, [finding]) == []


# --- LD_PRELOAD --------------------------------------------------------------------------------


def test_a_program_started_with_a_preloaded_library_from_outside_the_system_is_reported(
    tmp_path,
):
    program = copy_of_sleep(tmp_path, "helper")
    library = tmp_path / "libhook.so"  # need not exist: ld.so warns and the program runs
    environment = {"PATH": os.environ["PATH"], "LD_PRELOAD": str(library)}
    with running(program, env=environment) as process:
        environments, denied = read_environments([process.pid, os.getpid()])
        preloads = untrusted_preloads(environments)
    assert denied == 0
    assert [(item.library, item.pids) for item in preloads] == [(str(library), (process.pid,))]


def test_a_preloaded_system_library_is_not_reported(tmp_path):
    system_library = next(
        (
            path
            for path in ("/usr/lib/x86_64-linux-gnu/libm.so.6", "/lib/x86_64-linux-gnu/libm.so.6")
            if os.path.exists(path)
        ),
        None,
    )
    if system_library is None:
        pytest.skip("no libm.so.6 where Debian puts it")
    program = copy_of_sleep(tmp_path, "helper")
    with running(program, env={"LD_PRELOAD": system_library}) as process:
        environments, _ = read_environments([process.pid])
        assert environments[0][1]["LD_PRELOAD"] == system_library
        assert untrusted_preloads(environments) == []


def test_ld_so_preload_is_reported(tmp_path):
    system = tmp_path / "root"
    (system / "etc").mkdir(parents=True)
    (system / "etc/passwd").write_text("")
    (system / "etc/ld.so.preload").write_text("# hooks\n/usr/local/lib/libprocesshider.so\n")
    outcome = check_way_in(context_for(tmp_path / "home"), WayInRoots(system))
    (finding,) = outcome.findings
    assert finding.matched.field == "ld_so_preload"
    assert finding.matched.value == "/usr/local/lib/libprocesshider.so"
    assert finding.severity == "high"


def test_a_shell_start_up_file_setting_ld_preload_is_reported(tmp_path):
    from devicecheck.core.scan.autostart import AutostartRoots, collect_linux

    home = tmp_path / "home"
    home.mkdir()
    (home / ".profile").write_text(
        "export LD_PRELOAD=/home/alex/.cache/.libsync.so\nexport EDITOR=nano\n"
    )
    (home / ".bashrc").write_text("export LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libm.so.6\n")
    entries = collect_linux(AutostartRoots(home, tmp_path / "root")).entries
    system = tmp_path / "root"
    (system / "etc").mkdir(parents=True)
    (system / "etc/passwd").write_text("")
    outcome = check_way_in(
        ScanContext((), "linux", home, IndicatorSet((), ()), None, None, (), tuple(entries)),
        WayInRoots(system),
    )
    (finding,) = outcome.findings
    assert finding.matched.value == "/home/alex/.cache/.libsync.so"
    assert finding.detail["location"] == f"{home / '.profile'}:1"


# --- accounts ----------------------------------------------------------------------------------

PASSWD = """\
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
alex:x:1000:1000:Alex,,,:/home/alex:/bin/bash
helper:x:1001:1001::/home/helper:/bin/bash
toor:x:0:0::/home/toor:/bin/sh
old:x:1002:1002::/home/old:/bin/zsh
broken line
"""


def test_a_new_account_that_can_log_in_and_a_second_administrator_are_reported(tmp_path):
    for name in ("alex", "helper", "old"):
        home = tmp_path / "home" / name
        home.mkdir(parents=True)
        (home / ".bash_logout").write_text("")
    accounts = parse_passwd(PASSWD)
    assert [account.name for account in accounts] == [
        "root",
        "daemon",
        "alex",
        "helper",
        "toor",
        "old",
    ]
    a_year_ago_days = int((time.time() - 365 * 86400) // 86400)
    shadow = parse_shadow_dates(f"old:$6$x:{a_year_ago_days}:0:99999:7:::\nbad\n")
    findings = check_accounts(accounts, shadow, "alex", tmp_path, None)
    by_account = {finding.detail["account"]: finding for finding in findings}
    assert set(by_account) == {"helper", "toor"}
    assert by_account["toor"].severity == "high"
    assert "home folder made" in by_account["helper"].detail["when"]


@given(st.text(max_size=400))
def test_any_passwd_or_shadow_text_is_read_without_error(text):
    parse_passwd(text)
    parse_shadow_dates(text)


# --- this machine ------------------------------------------------------------------------------


def test_this_machine_shows_no_way_in():
    """A plain Debian container: anything reported here would be a false positive."""
    connections, _ = observe_connections()
    outcome = check_way_in(context_for(Path.home(), ordinary_processes(), connections))
    assert outcome.findings == ()
    assert outcome.examined["accounts"] > 0


def _finishes(work, seconds: float = 10.0):
    """`work()`'s result, or a failure if it has not finished in time (a read waiting forever
    on a FIFO would hang the scan)."""
    import threading

    result: list = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, "still waiting"
    return result[0]


def test_a_fifo_planted_as_authorized_keys_is_not_waited_on(tmp_path):
    ssh = tmp_path / "home" / ".ssh"
    ssh.mkdir(parents=True)
    os.mkfifo(ssh / "authorized_keys")
    system = tmp_path / "root"
    (system / "etc").mkdir(parents=True)
    (system / "etc/passwd").write_text("")
    outcome = _finishes(lambda: check_way_in(context_for(tmp_path / "home"), WayInRoots(system)))
    assert outcome.findings == ()
    (problem,) = outcome.not_examined
    assert problem.what.endswith("authorized_keys") and "not a regular file" in problem.reason


def test_kernel_threads_have_no_environment_to_read_and_are_left_out():
    from devicecheck.core.scan.processes import observe_processes
    from devicecheck.core.scan.way_in import is_kernel_thread

    processes, _ = observe_processes()
    kernel = [p for p in processes if is_kernel_thread(p)]
    if Path("/proc/2/comm").exists() and Path("/proc/2/comm").read_text().strip() == "kthreadd":
        assert kernel  # kthreadd itself at least
    for process in kernel:  # the kernel gives nothing, or "no such process", for them
        with contextlib.suppress(ProcessLookupError):
            assert Path(f"/proc/{process.pid}/environ").read_bytes() == b""
    this = next(p for p in processes if p.pid == os.getpid())
    assert not is_kernel_thread(this)
    # A program that gives itself PID 2's parentage in a container still has a command line.
    assert not is_kernel_thread(this._replace(ppid=2))
