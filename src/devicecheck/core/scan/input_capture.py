"""Keyboard capture on Linux: a program reading the keyboard's input device directly.

On Linux every keyboard is a file `/dev/input/eventN`; whoever holds it open and may read it
sees every key pressed, in every program, passwords included. Keyloggers (logkeys, and
keyloggers built into monitoring software) do exactly this. The display server or compositor,
the login manager and a few input tools do it too, and are allowed when they are the real,
installed program (see `core.scan.trusted`). Anything else holding a keyboard open is reported,
whatever it is called.

observe (`input_holders`: /proc/PID/fd link targets) -> judge (`check_input_holders`).
"""

import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from devicecheck.core.scan import procfs
from devicecheck.core.scan.findings import (
    CheckOutcome,
    Finding,
    Match,
    NotExamined,
    ProcessInfo,
    ScanContext,
    access_denied_reason,
    advice_for_behaviour,
    make_behaviour_finding,
)
from devicecheck.core.scan.trusted import SYSTEM_PROGRAM_DIRS, trusted_as, unreported_processes

INPUT_EVENT_PREFIX = "/dev/input/event"
SYSFS_INPUT = "/sys/class/input"

# Programs whose job is to read input devices, with the page that says so. Each is trusted only
# as the installed program file of that name (`trusted_as`), never by its process name.
# Xwayland is not one: it is given its input by the Wayland compositor, not by the devices.
KNOWN_INPUT_READERS: Mapping[str, str] = {
    # display servers and Wayland compositors (libinput opens /dev/input/event*)
    "Xorg": "https://www.x.org/releases/current/doc/man/man4/evdev.4.xhtml",
    "gnome-shell": "https://wayland.freedesktop.org/libinput/doc/latest/what-is-libinput.html",
    "mutter": "https://wayland.freedesktop.org/libinput/doc/latest/what-is-libinput.html",
    "kwin_wayland": "https://wayland.freedesktop.org/libinput/doc/latest/what-is-libinput.html",
    "sway": "https://github.com/swaywm/sway/wiki#input-configuration",
    "weston": "https://wayland.pages.freedesktop.org/weston/toc/libweston.html",
    "Hyprland": "https://wiki.hyprland.org/Configuring/Variables/#input",
    "wayfire": "https://github.com/WayfireWM/wayfire/wiki/Configuration#input",
    "labwc": "https://labwc.github.io/labwc-config.5.html",
    "river": "https://codeberg.org/river/river",
    "cage": "https://github.com/cage-kiosk/cage",
    "gamescope": "https://github.com/ValveSoftware/gamescope",
    "niri": "https://github.com/YaLTeR/niri/wiki/Configuration:-Input",
    "cosmic-comp": "https://github.com/pop-os/cosmic-comp",
    # the login manager: logind opens devices for the session and keeps them to revoke them
    "systemd-logind": "https://www.freedesktop.org/software/systemd/man/latest/"
    "org.freedesktop.login1.html (TakeDevice)",
    "seatd": "https://git.sr.ht/~kennylevinsen/seatd",
    # console, boot splash and hot keys
    "acpid": "https://manpages.debian.org/acpid.8 (listens on the input layer for power keys)",
    "gpm": "https://manpages.debian.org/gpm.8",
    "thd": "https://manpages.debian.org/thd.1 (triggerhappy hotkey daemon)",
    "plymouthd": "https://gitlab.freedesktop.org/plymouth/plymouth (evdev renderer input)",
    "kmscon": "https://github.com/dvdhrm/kmscon",
    "brltty": "https://brltty.app/doc/Manual-BRLTTY/English/BRLTTY.html (keyboard key tables)",
    # key remappers and gesture tools
    "keyd": "https://github.com/rvaiya/keyd",
    "kmonad": "https://github.com/kmonad/kmonad",
    "kanata": "https://github.com/jtroo/kanata",
    "xremap": "https://github.com/xremap/xremap",
    "evremap": "https://github.com/wez/evremap",
    "input-remapper-service": "https://github.com/sezanzeb/input-remapper",
    "input-remapper-reader-service": "https://github.com/sezanzeb/input-remapper",
    "libinput-gestures": "https://github.com/bulletmark/libinput-gestures",
    "touchegg": "https://github.com/JoseExposito/touchegg",
    "libinput": "https://wayland.freedesktop.org/libinput/doc/latest/tools.html",
}

# KEY_Q..KEY_P (16-25) and KEY_A..KEY_L (30-38): Linux's input-event-codes.h. A device with
# these keys types letters; one without them (a power button, a lid switch, a game pad) is not
# a keyboard.
_LETTER_KEYS = (*range(16, 26), *range(30, 39))
# sysfs prints the bitmap as the kernel's `unsigned long` words; a 64-bit Python runs on a
# 64-bit kernel (a 32-bit Python on a 64-bit kernel would misread it, and count it a keyboard).
_KERNEL_LONG_BITS = 64 if sys.maxsize > 2**32 else 32


class InputHolder(NamedTuple):
    """A process holding input devices open."""

    pid: int
    devices: tuple[str, ...]


class Observed(NamedTuple):
    holders: tuple[InputHolder, ...]
    examined: int  # processes whose open files were read
    denied: int  # processes whose open files could not be read


def input_holders(
    pids: Iterable[int], prefix: str = INPUT_EVENT_PREFIX, proc: str = procfs.PROC
) -> Observed:
    """Which of `pids` hold a file whose path starts with `prefix` open."""
    holders = []
    examined = denied = 0
    for pid in pids:
        try:
            devices = tuple(
                sorted(
                    {target for target in procfs.fd_targets(pid, proc) if target.startswith(prefix)}
                )
            )
        except PermissionError:
            denied += 1
            continue
        except OSError:  # ended while being read
            continue
        examined += 1
        if devices:
            holders.append(InputHolder(pid, devices))
    return Observed(tuple(holders), examined, denied)


def letter_key_bits(capabilities: str) -> bool:
    """Whether a sysfs `capabilities/key` bitmap (hex words, most significant first) has the
    letter keys."""
    words = capabilities.split()
    try:
        bits = [int(word, 16) for word in reversed(words)]
    except ValueError:
        return True  # unreadable: assume it may be a keyboard
    width = _KERNEL_LONG_BITS

    def has(bit: int) -> bool:
        index = bit // width
        return index < len(bits) and bool(bits[index] >> (bit % width) & 1)

    return all(has(key) for key in _LETTER_KEYS)


def is_keyboard(device: str, sysfs: str = SYSFS_INPUT) -> bool:
    """True unless sysfs says the device has no letter keys (unknown devices count as keyboards)."""
    name = device.rpartition("/")[2]
    try:
        with open(f"{sysfs}/{name}/device/capabilities/key", encoding="ascii") as handle:
            return letter_key_bits(handle.read())
    except (OSError, UnicodeDecodeError):
        return True


def check_input_holders(
    holders: Iterable[InputHolder],
    process_of: Callable[[int], ProcessInfo | None],
    region: str | None = None,
    *,
    system_dirs: Sequence[str] = SYSTEM_PROGRAM_DIRS,
    keyboard: Callable[[str], bool] = is_keyboard,
) -> list[Finding]:
    """One finding per process holding a keyboard open that is not a known input reader."""
    findings = []
    for holder in holders:
        keyboards = [device for device in holder.devices if keyboard(device)]
        if not keyboards:
            continue
        process = process_of(holder.pid)
        if process is None:
            continue
        if trusted_as(process, KNOWN_INPUT_READERS, system_dirs):
            continue
        findings.append(_finding(process, keyboards, region))
    return findings


def _finding(process: ProcessInfo, keyboards: list[str], region: str | None) -> Finding:
    what = (
        f"The program “{process.name}” ({process.exe or 'program file not readable'}) is reading "
        "this computer's keyboard directly. A program doing this can see every key pressed, in "
        "every program, passwords included. Your desktop and a few tools (key remappers, game "
        "controllers, screen readers) do this for honest reasons; if you do not know this "
        "program, it may be recording what you type."
    )
    return make_behaviour_finding(
        kind="input-capture",
        app=process.name or f"process {process.pid}",
        category="keylogger",
        severity="high",
        confidence="medium",
        matched=Match("a program reading the keyboard device", "input_devices", keyboards[0]),
        process=process,
        advice=advice_for_behaviour(what, region),
        detail={"devices": keyboards},
    )


def check_input_capture(context: ScanContext, prefix: str = INPUT_EVENT_PREFIX) -> CheckOutcome:
    """Linux only: processes holding a keyboard's input device open (`prefix`: where the
    devices are, a parameter for tests)."""
    if not context.platform.startswith("linux"):
        return CheckOutcome()
    if not os.path.isdir(prefix.rpartition("/")[0]):  # no input devices: nothing can read one
        return CheckOutcome(examined={"input_device_readers_checked": 0})
    by_pid = unreported_processes(context)
    observed = input_holders((process.pid for process in context.processes), prefix)
    findings = check_input_holders(observed.holders, by_pid.get, context.region)
    not_examined = ()
    if observed.denied:
        not_examined = (
            NotExamined(
                "open files of some processes (keyboard capture check)",
                access_denied_reason(),
                observed.denied,
            ),
        )
    return CheckOutcome(
        findings=tuple(findings),
        examined={"input_device_readers_checked": observed.examined},
        not_examined=not_examined,
    )
