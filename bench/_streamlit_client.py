"""A Streamlit client without a browser: it speaks the app's websocket protocol as the frontend does.

The frontend (frontend/app/src/App.tsx and WidgetStateManager.ts in streamlit/streamlit) talks to
``/_stcore/stream`` in protobufs: it sends ``BackMsg.rerun_script`` (a ``ClientState``: the page's
script hash, the widget states, the browser's locale) and receives ``ForwardMsg``s: ``new_session``
at the start of every script run (with ``metadata.run.fragment_ids`` for a fragment's run),
``navigation`` (the app's pages), ``delta``s (the elements), ``auto_rerun`` (a fragment with
``run_every``: the client re-sends that fragment's rerun at the interval until the next full run
or page change) and ``script_finished``. This client does the same, so one Python process can
stand in for a class of browsers: it keeps the widget values the student set (a form's values
wait for its submit button), drops those of widgets the last full run no longer drew (as the
frontend's ``removeInactive`` does), and sends a button's trigger with one rerun only. Widgets
the student never touched are not sent: the server then keeps their last value, as it does
for the browser's copy of the same default.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urljoin

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ContextInfo
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect

from tests.app_server import UNHANDLED

STREAM_PATH = "_stcore/stream"
PAGE_LIMIT_S = 300.0  # a page not ready by then counts as not ready (and the student moves on)
TEXT_ELEMENTS = ("markdown", "text", "alert")  # where an unhandled error's text would show
FINISHED = ForwardMsg.ScriptFinishedStatus
BROWSER_CONTEXT = ContextInfo(timezone="UTC", timezone_offset=0, locale="en-US", is_embedded=False,
                              color_scheme="light")


class PageNotReady(Exception):
    """A full script run did not finish within PAGE_LIMIT_S."""


@dataclass
class Widget:
    """A widget as the last run drew it: its id, element kind (``slider``, ``button``...) and proto."""

    id: str
    kind: str
    label: str
    form_id: str
    proto: object


@dataclass
class ScriptRun:
    """What one full script run drew (fragment runs add to the current one, as they redraw within it)."""

    widgets: dict[str, Widget] = field(default_factory=dict)
    image_urls: list[str] = field(default_factory=list)
    metrics: dict[str, str] = field(default_factory=dict)


def widget_state(widget: Widget, value: object) -> WidgetState:
    """The state the frontend sends for a widget set to ``value`` (``True`` presses a button)."""
    state = WidgetState(id=widget.id)
    if widget.kind == "slider":
        state.double_array_value.data.append(float(value))
    elif widget.kind == "number_input":
        if widget.proto.data_type == NumberInput.INT:
            state.int_value = int(value)
        else:
            state.double_value = float(value)
    elif widget.kind in ("text_input", "text_area"):
        state.string_value = str(value)
    elif widget.kind == "checkbox":
        state.bool_value = bool(value)
    elif widget.kind == "button":
        state.trigger_value = True
    else:
        raise NotImplementedError(f"setting a {widget.kind} is not supported by this client")
    return state


def media_status(url: str) -> int:
    """The HTTP status of a GET of ``url`` (0 when the request failed)."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            return response.status
    except OSError as error:
        return getattr(error, "code", 0)


class StreamlitClient:
    """One browser tab of a Streamlit app: connect, visit pages, set widgets, press buttons."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page_hash = ""
        self.run = ScriptRun()
        self.exceptions: list[str] = []  # the first lines of exceptions and error texts seen
        self.not_ready = 0
        self.images_checked = 0
        self.auto_reruns_sent = 0
        self._states: dict[str, WidgetState] = {}
        self._pending_forms: dict[str, dict[str, WidgetState]] = {}
        self._auto_reruns: list[asyncio.Task] = []
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task | None = None
        self._finished: asyncio.Future | None = None
        self._awaiting_new_run = False

    async def connect(self) -> float:
        """Open the websocket and run the default page, as opening the URL does; seconds until it ran."""
        ws_url = self.base_url.replace("http", "ws", 1) + STREAM_PATH
        self._socket = await connect(ws_url, subprotocols=["streamlit"], max_size=None,
                                     origin=self.base_url.rstrip("/"))
        self._reader = asyncio.create_task(self._read())
        return await self._full_rerun(page_hash="")

    async def visit(self, url_path: str) -> float:
        """Click the page's link in the navigation; seconds until its script has run."""
        self._stop_auto_reruns()
        return await self._full_rerun(page_hash=self.pages[url_path])

    async def set_value(self, label: str, value: object, kind: str | None = None) -> float | None:
        """Set a widget; outside a form that reruns the page (seconds until it ran), in a form it waits."""
        widget = self.widget(label, kind)
        state = widget_state(widget, value)
        if widget.form_id:
            self._pending_forms.setdefault(widget.form_id, {})[widget.id] = state
            return None
        self._states[widget.id] = state
        return await self._full_rerun(self.page_hash)

    async def press(self, label: str) -> float:
        """Press a button (a form's submit button sends the form's values with it); seconds until the rerun ran."""
        button = self.widget(label, "button")
        if button.proto.is_form_submitter:
            self._states.update(self._pending_forms.pop(button.form_id, {}))
        return await self._full_rerun(self.page_hash, triggers=(widget_state(button, True),))

    def widget(self, label: str, kind: str | None = None) -> Widget:
        """The widget with this exact label (and kind) that the last run drew."""
        for widget in self.run.widgets.values():
            if widget.label == label and kind in (None, widget.kind):
                return widget
        raise LookupError(f"no {kind or 'widget'} labelled {label!r} on the page")

    async def broken_images(self) -> int:
        """How many of the images the last run drew do not load (GET is not 200) right now."""
        urls = [urljoin(self.base_url, url) for url in self.run.image_urls]
        self.images_checked += len(urls)
        statuses = await asyncio.gather(*(asyncio.to_thread(media_status, url) for url in urls))
        return sum(status != 200 for status in statuses)

    async def close(self) -> None:
        """Close the tab: the socket goes, and the server forgets the session after its TTL."""
        self._stop_auto_reruns()
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _full_rerun(self, page_hash: str, triggers: tuple[WidgetState, ...] = ()) -> float:
        """Send a rerun of the page and wait until a full run that started after it has finished."""
        self._finished = asyncio.get_running_loop().create_future()
        self._awaiting_new_run = True
        started = time.monotonic()
        await self._send_rerun(page_hash, triggers=triggers)
        try:
            await asyncio.wait_for(asyncio.shield(self._finished), PAGE_LIMIT_S)
        except TimeoutError:
            self.not_ready += 1
        return time.monotonic() - started

    async def _send_rerun(
        self, page_hash: str, *, fragment_id: str = "", triggers: tuple[WidgetState, ...] = (), auto: bool = False
    ) -> None:
        message = BackMsg()
        state = message.rerun_script
        state.page_script_hash = page_hash
        state.fragment_id = fragment_id
        state.is_auto_rerun = auto
        state.context_info.CopyFrom(BROWSER_CONTEXT)
        state.widget_states.widgets.extend([*self._states.values(), *triggers])
        await self._socket.send(message.SerializeToString())

    async def _read(self) -> None:
        async for payload in self._socket:
            message = ForwardMsg()
            message.ParseFromString(payload)
            self._handle(message)

    def _handle(self, message: ForwardMsg) -> None:
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self._on_new_run(message)
        elif kind == "navigation":
            self.pages = {page.url_pathname: page.page_script_hash for page in message.navigation.app_pages}
            self.page_hash = message.navigation.page_script_hash or self.page_hash
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            self._on_element(message.delta.new_element)
        elif kind == "auto_rerun":
            interval, fragment = message.auto_rerun.interval, message.auto_rerun.fragment_id
            self._auto_reruns.append(asyncio.create_task(self._auto_rerun(interval, fragment)))
        elif kind == "session_event" and message.session_event.HasField("script_compilation_exception"):
            self.exceptions.append(message.session_event.script_compilation_exception.message)
        elif kind == "script_finished":
            self._on_finished(message)

    def _on_new_run(self, message: ForwardMsg) -> None:
        if message.metadata.run.fragment_ids:
            return
        self._stop_auto_reruns()  # a full run: the frontend clears every auto-rerun interval
        self._awaiting_new_run = False
        self.run = ScriptRun()
        self.page_hash = message.new_session.page_script_hash

    def _on_finished(self, message: ForwardMsg) -> None:
        status = message.script_finished
        if status == FINISHED.FINISHED_WITH_COMPILE_ERROR:
            self.exceptions.append("compile error")
        elif status != FINISHED.FINISHED_SUCCESSFULLY:
            return  # a fragment's run, or a run another rerun replaced
        self._states = {id: state for id, state in self._states.items() if id in self.run.widgets}
        if not self._awaiting_new_run and self._finished is not None and not self._finished.done():
            self._finished.set_result(None)

    def _on_element(self, element: Element) -> None:
        kind = element.WhichOneof("type")
        proto = getattr(element, kind) if kind else None
        if kind == "exception":
            self.exceptions.append(f"{proto.type}: {proto.message}".splitlines()[0])
        elif kind == "imgs":
            self.run.image_urls.extend(image.url for image in proto.imgs)
        elif kind == "metric":
            self.run.metrics[proto.label] = proto.body
        elif kind in TEXT_ELEMENTS and (match := UNHANDLED.search(proto.body)):
            self.exceptions.append(proto.body[match.start():].splitlines()[0])
        if proto is not None and getattr(proto, "id", "") and hasattr(proto, "label"):
            self.run.widgets[proto.id] = Widget(proto.id, kind, proto.label, getattr(proto, "form_id", ""), proto)

    async def _auto_rerun(self, interval: float, fragment_id: str) -> None:
        """Rerun a fragment every ``interval`` seconds, as the frontend's setInterval does."""
        while True:
            await asyncio.sleep(interval)
            await self._send_rerun(self.page_hash, fragment_id=fragment_id, auto=True)
            self.auto_reruns_sent += 1

    def _stop_auto_reruns(self) -> None:
        for task in self._auto_reruns:
            task.cancel()
        self._auto_reruns = []
