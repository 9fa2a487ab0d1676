"""Names of ordinary programs, which a list of monitoring software must never match alone.

Indicator lists name products by their program file, and some of those names are also the
names of everyday programs: LOLRMM's KiTTY (`kitty.exe`) is also the kitty terminal, its
Distant Desktop (`dd.exe`) is also coreutils `dd`, Teramind's `dwm.exe` is also Windows'
Desktop Window Manager, and its Syncthing, Insync and Yandex.Disk are sync clients people use
every day. A running program with one of these names is matched only by its path or command
line, never by its name. Each group names the source that lists the programs in it.

`CLIENT_PROGRAMS` are tools that connect *from* this computer to another (an SSH client, a
VNC or RDP viewer): they do not let anyone in, and their advice says so.
"""

from __future__ import annotations

from devicecheck.core.indicators.model import normalise_process_name

_GROUPS: dict[str, tuple[str, str]] = {  # group: (source, names)
    # GNU coreutils manual, "Introduction" lists every program of the package.
    "coreutils": (
        "https://www.gnu.org/software/coreutils/manual/coreutils.html",
        (
            "arch b2sum base32 base64 basename basenc cat chcon chgrp chmod chown chroot cksum "
            "comm cp csplit cut date dd df dir dircolors dirname du echo env expand expr factor "
            "false fmt fold groups head hostid id install join link ln logname ls md5sum mkdir "
            "mkfifo mknod mktemp mv nice nl nohup nproc numfmt od paste pathchk pinky pr "
            "printenv printf ptx pwd readlink realpath rm rmdir runcon seq sha1sum sha224sum "
            "sha256sum sha384sum sha512sum shred shuf sleep sort split stat stdbuf stty sum sync "
            "tac tail tee test timeout touch tr true truncate tsort tty uname unexpand uniq "
            "unlink users vdir wc who whoami yes"
        ),
    ),
    # Arch Linux wiki, "List of applications/Utilities", Terminal emulators.
    "terminal emulators": (
        "https://wiki.archlinux.org/title/List_of_applications/Utilities#Terminal_emulators",
        (
            "kitty alacritty foot wezterm wezterm-gui konsole gnome-terminal "
            "gnome-terminal-server kgx xfce4-terminal lxterminal mate-terminal qterminal tilix "
            "terminator terminology guake yakuake tilda sakura urxvt rxvt xterm st cool-retro-term "
            "ghostty contour rio iterm2 terminal windowsterminal wt conhost"
        ),
    ),
    # Arch Linux wiki, "Command-line shell"; Microsoft Learn, "PowerShell" and "cmd".
    "shells": (
        "https://wiki.archlinux.org/title/Command-line_shell",
        "sh bash dash zsh fish ksh mksh tcsh csh nu elvish xonsh pwsh powershell cmd",
    ),
    # Arch Linux wiki, "List of applications/Documents", Text editors.
    "editors": (
        "https://wiki.archlinux.org/title/List_of_applications/Documents#Text_editors",
        (
            "vi vim nvim gvim nano micro emacs helix hx kate kwrite gedit gnome-text-editor "
            "mousepad pluma xed geany code codium subl sublime_text notepad notepad++ textedit"
        ),
    ),
    # Arch Linux wiki, "List of applications/Internet", Web browsers.
    "browsers": (
        "https://wiki.archlinux.org/title/List_of_applications/Internet#Web_browsers",
        (
            "firefox firefox-esr chrome google-chrome chromium chromium-browser msedge "
            "microsoft-edge brave brave-browser opera vivaldi vivaldi-bin safari epiphany "
            "falkon librewolf midori qutebrowser iexplore"
        ),
    ),
    # Arch Linux wiki, "List of applications/Documents", Office suites; Microsoft 365 files.
    "office": (
        "https://wiki.archlinux.org/title/List_of_applications/Documents#Office_suites",
        (
            "soffice soffice.bin libreoffice oosplash onlyoffice desktopeditors wps et wpp "
            "winword excel powerpnt outlook onenote msaccess"
        ),
    ),
    # Arch Linux wiki, "List of applications/Internet", Instant messaging; Tencent's QQ
    # (im.qq.com) is a chat program that LOLRMM lists for its remote-assistance feature.
    "chat": (
        "https://wiki.archlinux.org/title/List_of_applications/Internet#Instant_messaging",
        (
            "signal-desktop signal telegram-desktop telegram discord slack teams ms-teams zoom "
            "skype whatsapp element element-desktop thunderbird pidgin hexchat qq"
        ),
    ),
    # Arch Linux wiki, "List of applications/Internet", Cloud synchronization clients.
    "sync clients": (
        "https://wiki.archlinux.org/title/List_of_applications/Internet#Cloud_synchronization_clients",
        (
            "dropbox onedrive insync syncthing nextcloud owncloud megasync yandexdisk2 "
            "yandex-disk googledrivesync"
        ),
    ),
    # Microsoft Learn, "Desktop Window Manager" (dwm.exe is part of every Windows desktop);
    # NV Access, NVDA is a free screen reader that LOLRMM lists for its remote add-on.
    "system and accessibility": (
        "https://learn.microsoft.com/en-us/windows/win32/dwm/dwm-overview",
        "dwm explorer svchost nvda orca",
    ),
}

COLLIDING_NAMES: frozenset[str] = frozenset(
    normalise_process_name(name) for _, names in _GROUPS.values() for name in names.split()
)

# Tools that connect out from this computer, each with the page that calls it a client.
_CLIENTS: dict[str, tuple[str, ...]] = {
    "https://the.earth.li/~sgtatham/putty/0.81/htmldoc/Chapter1.html": (
        "putty",
        "plink",
        "pscp",
        "psftp",
    ),
    "https://puttytray.goeswhere.com/": ("puttytray",),
    "https://www.9bis.net/kitty/": ("kitty",),
    "https://github.com/jimradford/superputty": ("superputty",),
    "https://www.solarwinds.com/free-tools/solar-putty": ("solar-putty",),
    "https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/mstsc": (
        "mstsc",
    ),
    "https://learn.microsoft.com/en-us/sysinternals/downloads/rdcman": ("rdcman",),
    "https://help.realvnc.com/hc/en-us/articles/360002253878": ("vncviewer",),
    "https://www.tightvnc.com/": ("tvnviewer", "tightvncviewerportable"),
    "https://winscp.net/eng/docs/introduction": ("winscp",),
    "https://www.rdesktop.org/": ("rdesktop",),
    "https://www.freerdp.com/": ("xfreerdp", "wlfreerdp"),
    "https://remmina.org/": ("remmina",),
    "https://www.vandyke.com/products/securecrt/": ("securecrt",),
    "https://www.netsarang.com/en/xshell/": ("xshell",),
    "https://www.emtec.com/zoc/": ("zoc",),
    "https://mremoteng.org/": ("mremoteng",),
    "https://www.royalapps.com/ts/": ("royalts",),
    "https://devolutions.net/remote-desktop-manager/": ("remotedesktopmanager",),
}
CLIENT_PROGRAMS: frozenset[str] = frozenset(name for names in _CLIENTS.values() for name in names)


def is_colliding_name(name: str) -> bool:
    """An ordinary program's name (kitty, dd, dwm...): never evidence on its own."""
    return normalise_process_name(name) in COLLIDING_NAMES


def is_client_program(name: str) -> bool:
    """A program that connects out from here (an SSH client, a remote-desktop viewer)."""
    return normalise_process_name(name) in CLIENT_PROGRAMS
