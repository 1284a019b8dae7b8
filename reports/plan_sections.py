"""Sections that apps above `reports` add to the staffing plan page (templates/reports/staffing.html),
registered in their AppConfig.ready(), so that the page draws them without `reports` importing those apps
(as hall/home_sections.py does for the hall's page). simulation adds "Checked by simulation"
(simulation/plan_check_views.py)."""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from reports.plan import Plan

Section = Callable[[HttpRequest, Plan], SafeString]
SECTIONS: list[Section] = []


def register(section: Section) -> Section:
    if section not in SECTIONS:
        SECTIONS.append(section)
    return section


def render(request: HttpRequest, plan: Plan) -> list[SafeString]:
    return [section(request, plan) for section in SECTIONS]
