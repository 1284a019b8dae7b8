"""Sections that the apps above `hall` add to the hall's public page (templates/hall/home.html), registered
in their AppConfig.ready(): the page draws them without `hall` importing those apps (docs/architecture.md).
queueing adds "Waiting now" (queueing/waiting_now.py)."""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from hall.models import Hall

Section = Callable[[HttpRequest, Hall], SafeString]
SECTIONS: list[Section] = []


def register(section: Section) -> Section:
    if section not in SECTIONS:
        SECTIONS.append(section)
    return section


def render(request: HttpRequest, hall: Hall) -> list[SafeString]:
    return [section(request, hall) for section in SECTIONS]
