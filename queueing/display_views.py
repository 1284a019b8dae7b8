"""The hall's screens and the citizen's live ticket page.

The board (a TV in the hall) and the display above each window show the calls only on a paired screen
(hall.screens), or on any screen when the hall's setting allows it; all they show comes from queueing.board,
which holds no personal data. They speak the hall's language (the site's
default, zh-hans), whatever the language of the browser on the TV, with an English line below. The ticket
page follows the citizen's language. All three get live updates from the hall's event stream in the
browser (static/js/live.js); the server renders a complete page first, so that they work without it.
"""

import re

from django.conf import settings
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from hall import screens
from hall.models import Counter, DeviceKind, Hall
from queueing import access, board, views
from queueing.models import TicketState
from queueing.services import rules_for

RECENT_ON_BOARD = 10
# speechSynthesis wants a BCP 47 tag with a region; voices for zh-CN read Mandarin.
SPEECH_LANGUAGES = {"zh-hans": "zh-CN", "en": "en-GB"}
_PLACEHOLDER = re.compile(r"%\((number|counter)\)s")


def hall_language() -> str:
    """The language of the hall's screens (a hall has no language of its own yet: the site's default)."""
    return settings.LANGUAGE_CODE


def call_phrase() -> str:
    """ "请 %(number)s 号到 %(counter)s 号窗口。" in the active language; the board speaks it too."""
    return _("Please, number %(number)s, to window %(counter)s.")


def spoken_digits() -> str:
    return pgettext("digits read one by one on the board, separated by spaces", "0 1 2 3 4 5 6 7 8 9")


def call_markup(phrase: str, number: str, counter) -> SafeString:
    """The phrase with the number and the window in their own elements (large on the screens); board.js
    builds the same markup from the same phrase."""
    parts = []
    for index, part in enumerate(_PLACEHOLDER.split(phrase)):
        if index % 2 == 0:
            parts.append(format_html("{}", part))
        elif part == "number":
            parts.append(format_html('<span class="call-number">{}</span>', number))
        else:
            parts.append(format_html('<span class="call-counter">{}</span>', counter))
    return mark_safe("".join(parts))  # noqa: S308 - every part went through format_html


def distinct_calls(calls: list[dict]) -> list[dict]:
    """Newest first, each number once (a recall moves it to the top)."""
    seen, result = set(), []
    for call in calls:
        if call["number"] not in seen:
            seen.add(call["number"])
            result.append(call)
    return result


def _screen_context(hall: Hall) -> dict:
    snapshot = board.snapshot(hall)
    calls = distinct_calls(snapshot["calls"])
    phrase = call_phrase()
    with translation.override("en"):
        phrase_en = call_phrase()
    return {
        "hall": hall,
        "clock": timezone.localtime(timezone.now(), hall.tz).strftime("%H:%M"),
        "snapshot": snapshot,
        "latest": calls[0] if calls else None,
        "latest_markup": call_markup(phrase, calls[0]["number"], calls[0]["counter"]) if calls else "",
        "recent": calls[1 : RECENT_ON_BOARD + 1],
        "phrase": phrase,
        "phrase_en": phrase_en,
        "digits": spoken_digits(),
        "window_phrase": _("Window %(number)s"),
        "speech_lang": SPEECH_LANGUAGES.get(hall_language(), hall_language()),
        "bilingual": not hall_language().startswith("en"),
    }


def _may_show(request, hall: Hall, kind: str) -> bool:
    return screens.device_for(request, hall, kind) is not None or hall.unpaired_boards_show_calls


def board_page(request, slug):
    """The TV in the hall: the latest calls, who is served at each window, waiting per service, notices."""
    hall = get_object_or_404(Hall, slug=slug)
    if not _may_show(request, hall, DeviceKind.BOARD):
        return screens.not_set_up(request, hall, DeviceKind.BOARD)
    with translation.override(hall_language()):
        response = render(request, "queueing/board.html", _screen_context(hall))
    return screens.renew(response, request, hall, DeviceKind.BOARD)


def counter_display(request, slug, number):
    """The small screen above one window: the number being called or served there."""
    hall = get_object_or_404(Hall, slug=slug)
    counter = get_object_or_404(Counter.objects.active(), hall=hall, number=number)
    if not _may_show(request, hall, DeviceKind.COUNTER_DISPLAY):
        return screens.not_set_up(request, hall, DeviceKind.COUNTER_DISPLAY)
    with translation.override(hall_language()):
        context = _screen_context(hall)
        shown = next((c for c in context["snapshot"]["counters"] if c["number"] == counter.number), None)
        context.update(
            counter=counter,
            state=shown["state"] if shown else "closed",
            serving=shown["serving"] if shown else None,
            serving_markup=call_markup(context["phrase"], shown["serving"], counter.number)
            if shown and shown["serving"]
            else "",
        )
        response = render(request, "queueing/counter_display.html", context)
    return screens.renew(response, request, hall, DeviceKind.COUNTER_DISPLAY)


def ticket_phrases() -> dict:
    """What ticket.js writes when the ticket moves, in the page's language."""
    return {
        "called": call_phrase(),
        "serving": _("Being served at window %(counter)s."),
        "minutes": _("about %(minutes)s minutes"),
        "range": _("about %(low)s–%(high)s minutes"),
        "seat": _("Seat row %(row)s, no. %(number)s"),
    }


def ticket(request, token):
    """The citizen's live page (the QR code on the ticket leads here)."""
    ticket = access.get_ticket_by_token(token)
    context = views.ticket_context(ticket)
    come_in_at = rules_for(ticket.hall).come_in_at
    ahead = context["progress"].people_ahead
    context.update(
        next_ticket=ticket.transfers.order_by("-id").first(),
        missing=ticket.missing.all() if ticket.outcome else [],
        come_in_at=come_in_at,
        come_in=ticket.state == TicketState.WAITING
        and not ticket.inside
        and ahead is not None
        and ahead <= come_in_at,
        phrases=ticket_phrases(),
        live=ticket.state
        in (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING, TicketState.PARKED),
    )
    return render(request, "queueing/ticket.html", context)
