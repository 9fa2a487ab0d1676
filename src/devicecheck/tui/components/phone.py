"""Check an Android phone: how to turn on USB debugging, waiting for the phone and its "Allow
USB debugging?" prompt, progress, findings, saving to the evidence log (asked first), the
caution before removing anything, and the reminder to turn USB debugging off afterwards.

adb runs in thread workers; results come back as this module's messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widgets import Button, DataTable, Footer, Markdown, ProgressBar, Static

from devicecheck.core.finding_labels import category_label
from devicecheck.tui.components.findings import WHAT_IT_IS as COMPUTER_WORDS
from devicecheck.tui.components.findings import (
    FindingsScreen,
    how_serious,
    how_sure,
    limits_markdown,
    things,
)
from devicecheck.tui.messages import PhoneChecked, PhoneLooked, PhoneProgress
from devicecheck.tui.work import guarded, plain_message

if TYPE_CHECKING:
    from devicecheck.core.phone.findings import PhoneFinding, PhoneScanResult
    from devicecheck.core.sessions import Session

LOOK_EVERY_SECONDS = 2.0
STEPS = """\
**Before you start.** Turning on the phone's developer options leaves a switch in its
settings that someone who checks the phone could notice. You will turn it off again at the end.

1. **Turn on developer options.** On the phone open *Settings*, then *About phone* (on a
   Samsung: *About phone*, then *Software information*). Tap *Build number* seven times. Enter
   the phone's PIN if asked. The phone says "You are now a developer".
2. **Turn on USB debugging.** Go back to *Settings* and open *System*, then *Developer
   options* (on a Samsung, *Developer options* is at the bottom of *Settings*; on some phones
   it is under *Additional settings*). Switch on *USB debugging*.
3. **Connect the phone** to this computer with a USB cable, and unlock it.
4. **"Allow USB debugging?"** The phone shows this question with a long code (this
   computer's key). Tap *Allow*. Only tick "Always allow from this computer" if this computer
   is yours. This lets this computer read the phone's list of apps and its settings;
   devicecheck only reads: it installs, removes and changes nothing on the phone.

Then choose **Look for my phone**.
"""
WAITING = {
    "none": "Waiting for the phone... Check the cable (some cables only charge), unlock the "
    "phone, and check that USB debugging is on.",
    "unauthorized": "The phone is connected but has not allowed this computer yet. Unlock the "
    'phone: it should show "Allow USB debugging?". Tap Allow.',
    "several": "More than one phone is connected. Unplug the ones you do not want to check.",
    "offline": "The phone is connected but not answering. Unplug the cable and plug it in again.",
}
PHONE_CONSENT = (
    "We will read this Android phone over its USB cable: its list of apps, where each app came "
    "from, what each app is allowed to do, and some of its settings, and compare them with "
    "lists of known stalkerware. This only reads: nothing on the phone is installed, removed "
    "or changed, and nothing is sent anywhere."
)
EVIDENCE_CONSENT = (
    "The phone check and what it found will be written to the evidence log on this computer: "
    "a permanent, dated record that cannot be changed afterwards. Nothing is sent anywhere."
)
CAUTION = (
    "**Caution before removing anything:** the person who installed an app or changed a "
    "setting may notice when it goes. Save this check to the evidence log first, take photos "
    "of the phone's screen, and talk to a helpline about a safe time to act."
)
WHAT_IT_IS = {
    **COMPUTER_WORDS,
    "remote-access": "an app that lets someone use this phone from elsewhere",
    "parental-control": "a family or parental-control app",
    "employee-monitoring": "a workplace monitoring app",
    "dangerous-access": "an app from outside an app store with powerful access",
    "disguised-app": "an app that looks disguised",
    "phone-setting": "a phone setting",
    "rooted": "signs that the phone is rooted",
    "device-management": "someone else's management of the phone",
}

# Findings the phone check makes itself (not entries of a list of known software).
OWN_CHECKS = frozenset({"phone-access", "phone-disguise", "phone-settings"})

SHORT_WHAT = {
    "stalkerware": "stalkerware",
    "spyware": "spyware",
    "keylogger": "keylogger",
    "remote-access": "remote access",
    "parental-control": "family app",
    "employee-monitoring": "work monitoring",
    "dangerous-access": "strong access",
    "disguised-app": "disguised app",
    "phone-setting": "setting",
    "rooted": "rooted",
    "device-management": "managed",
}


class _ProgressRelay:
    def __init__(self, target: PhoneScreen) -> None:
        self.target = target

    def step_started(self, what: str, number: int, total: int) -> None:
        self.target.post_message(PhoneProgress(what, number, total))


def phone_state(devices: tuple[Any, ...]) -> tuple[str, str | None]:
    """The waiting state for what adb sees, and the serial of the phone when one is ready."""
    if not devices:
        return "none", None
    if len(devices) > 1:
        return "several", None
    device = devices[0]
    if device.state == "device":
        return "ready", device.serial
    if device.state == "unauthorized":
        return "unauthorized", None
    return "offline", None


def finding_markdown(finding: PhoneFinding) -> str:
    what = WHAT_IT_IS.get(finding.category, category_label(finding.category))
    lines = [
        f"### {finding.app}",
        "",
        f"This is {what}. How serious: {how_serious(finding.severity, in_full=True)}. "
        f"How sure: {how_sure(finding.confidence)}.",
        "",
    ]
    if finding.package and finding.package != finding.app:
        lines.append(f"- App: {finding.package}")
    if finding.detail.get("from"):
        lines.append(f"- Where it came from: {finding.detail['from']}")
    if finding.first_installed:
        lines.append(f"- Installed: {finding.first_installed}")
    if finding.access:
        from devicecheck.core.phone.access import access_labels

        lines.append(f"- Access it holds: {access_labels(finding.access)}")
    if finding.source.get("id") in OWN_CHECKS:
        lines.append("- Listed by: no list; the check saw it on the phone")
    else:
        lines.append(f"- Listed by: {finding.source.get('name') or finding.source.get('id', '-')}")
    lines += ["", finding.advice, "", CAUTION]
    return "\n".join(lines)


class PhoneScreen(FindingsScreen):
    CSS_PATH = "phone.tcss"
    SAVE_WHAT = "This phone check"
    EVIDENCE_CONSENT = EVIDENCE_CONSENT
    SAVED_WORDS = "The phone check was saved to your evidence log."

    def __init__(self, session: Session | None = None) -> None:
        super().__init__()
        self.session = session
        self.result: PhoneScanResult | None = None
        self.state = "instructions"
        self.saved = False
        self._timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        from devicecheck.core.phone.findings import TURN_OFF_USB_DEBUGGING

        yield Static("Check an Android phone", classes="title")
        yield Static("Follow the steps, then choose Look for my phone.", id="status", markup=False)
        yield ProgressBar(id="phone-bar", show_eta=False)
        table: DataTable[str] = DataTable(id="findings", cursor_type="row", zebra_stripes=True)
        table.add_columns("How serious", "How sure", "What", "Found")
        yield table
        with VerticalScroll(id="details"):
            yield Markdown(STEPS, id="steps")
            yield Markdown(id="finding")
            yield Markdown(id="limits")
            yield Static(TURN_OFF_USB_DEBUGGING, id="after", markup=False)
        with Horizontal(classes="buttons", id="actions"):
            yield Button("Look for my phone", id="look", compact=True)
            yield Button("Save to evidence Ctrl+S", id="save", disabled=True, compact=True)
            yield Button("Back Esc", id="back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#phone-bar", ProgressBar).display = False
        self.query_one("#findings", DataTable).display = False
        self.query_one("#after", Static).display = False
        self.query_one("#look", Button).focus()

    def on_unmount(self) -> None:
        self._stop_looking()

    # --- waiting for the phone ------------------------------------------------------------

    @on(Button.Pressed, "#look")
    def start_looking(self) -> None:
        if self.state in ("checking", "done"):
            return
        self.state = "looking"
        self.query_one("#status", Static).update("Looking for the phone...")
        self.look()
        if self._timer is None:
            self._timer = self.set_interval(LOOK_EVERY_SECONDS, self.look)

    def _stop_looking(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    @work(thread=True, exit_on_error=False, group="phone-look", exclusive=True)
    def look(self) -> None:
        from devicecheck.core.phone.adb import AdbMissing, AdbRunner, find_adb
        from devicecheck.core.phone.engine import list_phones
        from devicecheck.errors import DeviceCheckError

        try:
            devices = list_phones(AdbRunner(find_adb()))
        except AdbMissing as error:
            self.post_message(PhoneLooked("no-adb", detail=error.message))
            return
        except DeviceCheckError as error:
            self.post_message(PhoneLooked("offline", detail=error.message))
            return
        state, serial = phone_state(devices)
        self.post_message(PhoneLooked(state, serial))

    @on(PhoneLooked)
    def looked(self, message: PhoneLooked) -> None:
        if self.state != "looking":
            return
        status = self.query_one("#status", Static)
        if message.state == "no-adb":
            self._stop_looking()
            self.state = "instructions"
            status.update("This computer needs Android's adb program first: " + message.detail)
            return
        if message.state != "ready":
            status.update(WAITING.get(message.state, WAITING["offline"]))
            return
        self._stop_looking()
        self.state = "found"
        status.update("Found the phone.")
        from devicecheck.tui.components.consent import with_consent

        serial = message.serial
        with_consent(
            self, self.session, "phone-scan", PHONE_CONSENT, lambda: self.start_check(serial)
        )

    # --- the check ------------------------------------------------------------------------

    def start_check(self, serial: str | None) -> None:
        self.state = "checking"
        self.query_one("#steps", Markdown).display = False
        self.query_one("#look", Button).disabled = True
        bar = self.query_one("#phone-bar", ProgressBar)
        bar.display = True
        self.query_one("#status", Static).update("Reading the phone...")
        self.check(serial)

    @work(thread=True, exit_on_error=False, group="phone-check", exclusive=True)
    def check(self, serial: str | None) -> None:
        def run() -> None:
            from devicecheck.core.phone.adb import AdbRunner, find_adb
            from devicecheck.core.phone.engine import (
                PhoneCheckInterrupted,
                phone_indicators,
                scan_phone,
            )

            app = self.devicecheck
            if app.indicators is not None:
                from devicecheck.core.phone.dual_use import load_dual_use

                indicators = app.indicators.merged_with(load_dual_use())
            else:
                indicators = phone_indicators(app.data_dir)
            try:
                result = scan_phone(
                    AdbRunner(find_adb()),
                    indicators,
                    serial=serial,
                    region=app.region.code,
                    observer=_ProgressRelay(self),
                )
            except PhoneCheckInterrupted as stopped:
                self.post_message(PhoneChecked(stopped.result, plain_message(stopped.message)))
                return
            self.post_message(PhoneChecked(result))

        guarded(self, run)

    @on(PhoneProgress)
    def progress(self, message: PhoneProgress) -> None:
        self.query_one("#status", Static).update(
            f"Reading {message.what} ({message.number} of {message.total})"
        )
        self.query_one("#phone-bar", ProgressBar).update(
            total=message.total, progress=message.number - 1
        )

    def on_work_failed(self, message: Any) -> None:
        super().on_work_failed(message)
        if self.state == "checking":
            self.state = "instructions"
            self.query_one("#status", Static).update(message.message)
            self.query_one("#phone-bar", ProgressBar).display = False
            self.query_one("#steps", Markdown).display = True
            self.query_one("#look", Button).disabled = False

    @on(PhoneChecked)
    def checked(self, message: PhoneChecked) -> None:
        self.state = "done"
        self.result = message.result
        self.show_result(message.result, message.stopped)

    def show_result(self, result: PhoneScanResult, stopped: str = "") -> None:
        self.query_one("#phone-bar", ProgressBar).display = False
        self.query_one("#steps", Markdown).display = False
        count = len(result.findings)
        if count:
            status = f"Found {things(count)} to look at. Nothing on the phone was changed."
        else:
            status = "Nothing known or worrying was found. That does not prove there is nothing: see below."
        if stopped:
            status = f"The check did not finish: {stopped} {status}"
        self.query_one("#status", Static).update(status)
        self.query_one("#limits", Markdown).update(
            limits_markdown(result, "Not read", "What a check over USB cannot see")
        )
        self.query_one("#after", Static).display = True
        self.show_findings(result.findings)

    def finding_markdown(self, finding: PhoneFinding) -> str:
        return finding_markdown(finding)

    def finding_row(self, finding: PhoneFinding) -> tuple[str, ...]:
        return (
            how_serious(finding.severity),
            how_sure(finding.confidence),
            SHORT_WHAT.get(finding.category, category_label(finding.category)),
            finding.app,
        )

    def save_to_log(self, result: PhoneScanResult, log: Any, session: Any, store: Any) -> Any:
        from devicecheck.core.phone.engine import save_phone_scan

        return save_phone_scan(result, log, session=session, store=store)
