"""The frame every handheld flow shares: a step, the state it carries, and how a step is drawn.

One task at a time, one scan field per step. A step's state travels in the hidden fields of its scan form and in
the page's URL (pushed after every step, so a reload shows the same step); nothing is kept on the server between
scans. A scan answers the step the state is at: the flow's route parses it, calls the service the API calls, and
the next step is drawn in place of ``#step``. A wrong scan raises the service's error, which the console shows as
the red feedback, leaving the step as it was."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from stockyard.domain.access import Principal
from stockyard.domain.errors import InvalidInput
from stockyard.web import core

MAX_VALUE = 200  # longest value a step's field may carry (a GS1 scan is at most 200 characters)


@dataclass
class Step:
    """What the screen shows next: the step's name, its state (hidden fields and URL) and what it displays."""

    at: str
    state: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    ok: str | None = None  # the green line about what the last scan did


def read_state(source: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    """The flow's fields from a query string or a form; anything else the page sent is ignored."""
    state = {}
    for key in keys:
        value = source.get(key)
        if isinstance(value, str) and value.strip():
            if len(value) > MAX_VALUE:
                raise InvalidInput(f"at most {MAX_VALUE} characters", field=key)
            state[key] = value.strip()
    return state


def read_scan(form: FormData, *, required: bool = True) -> str | None:
    """What was scanned or typed into the step's field; a flow whose buttons send a command may allow none."""
    value = form.get("scan")
    scan = value.strip() if isinstance(value, str) and value.strip() else None
    if scan is None and required:
        raise InvalidInput("scan or type something first", field="scan")
    if scan is not None and len(scan) > MAX_VALUE:
        raise InvalidInput(f"at most {MAX_VALUE} characters", field="scan")
    return scan


def state_id(state: Mapping[str, str], key: str) -> int | None:
    """A record number the state carries (the page sent it, so a bad one means an old or edited page)."""
    value = state.get(key)
    if value is None:
        return None
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput("not a number the page sent; start again from the menu", field=key)
    return int(value)


def render_step(request: Request, principal: Principal, *, flow: str, title: str, template: str,
                stylesheet: str, step: Step, state: dict[str, str]) -> Response:
    """The step in place of ``#step`` (an htmx scan, with the URL pushed) or as the whole page (a GET)."""
    url = f"/m/{flow}" + (f"?{urlencode(state)}" if state else "")
    context = {"title": title, "flow": flow, "action": f"/m/{flow}", "at": step.at, "state": state, "ok": step.ok,
               "template": template, "stylesheet": stylesheet, **step.context}
    if core.is_htmx(request):
        return core.render(request, "handheld/fragment.html", context, principal=principal,
                           headers={"HX-Push-Url": url})
    return core.render(request, "handheld/flow.html", {**context, "flash": step.ok}, principal=principal)
