"""好差评: the citizen's rating form, the public comment book, and the supervisor's ranking, moderation and
follow-up cases."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from appointments.limits import hit_rate_limit
from hall import access, audit
from hall.models import AuditAction, Hall
from hall.net import client_ip
from hall.privacy import mask_phone
from reports import ratings, services
from reports.access import (
    access_follow_up,
    access_rating,
    access_written_comment,
    get_ticket_to_rate,
)
from reports.forms import ModerationForm, NoteForm, RatingForm, WrittenCommentForm
from reports.models import FollowUp, Rating, WrittenComment
from reports.periods import PeriodError, month_of, parse_month
from reports.services import RatingError
from webhooks import province

PAGE_SIZE = 50
# The comment book's form for anyone: enough for a family, too few to flood the supervisor's page.
WRITTEN_PER_ADDRESS_HOUR = 10
TOO_MANY_COMMENTS = _(
    "Too many comments were sent from this network in the last hour. Please try again later, "
    "or tell the staff at the hall."
)


@require_http_methods(["GET", "POST"])
def rate(request, token):
    ticket = get_ticket_to_rate(token)
    existing = Rating.objects.filter(ticket=ticket).first()
    form = RatingForm(request.POST if request.method == "POST" and existing is None else None)
    error = None
    if form.is_bound and form.is_valid():
        try:
            services.rate_ticket(ticket, form.cleaned_data["score"], form.cleaned_data["comment"])
        except RatingError as refusal:
            error = refusal.message
        else:
            return redirect("reports:rate", token)
    context = {"ticket": ticket, "hall": ticket.hall, "form": form, "rating": existing, "error": error}
    return render(request, "reports/rate.html", context)


@require_http_methods(["GET", "POST"])
def comment_book(request, slug):
    """The public comment book: what was published, and a form anyone may write in, ticket or not."""
    hall = get_object_or_404(Hall, slug=slug)
    form = WrittenCommentForm(request.POST if request.method == "POST" else None)
    error = None
    if form.is_bound and form.is_valid():
        if hit_rate_limit("comment-ip", client_ip(request), WRITTEN_PER_ADDRESS_HOUR):
            error = TOO_MANY_COMMENTS
        else:
            data = form.cleaned_data
            services.write_comment(hall=hall, text=data["text"], phone=data["phone"], now=timezone.now())
            return redirect("reports:comment_written", slug)
    context = {"hall": hall, "comments": ratings.comment_book(hall), "form": form, "error": error}
    return render(request, "reports/comment_book.html", context)


def comment_written(request, slug):
    hall = get_object_or_404(Hall, slug=slug)
    return render(request, "reports/comment_written.html", {"hall": hall})


@login_required
def ranking(request, slug):
    hall = access.supervisor_in_hall(request.user, slug).hall
    today = hall.local_date(timezone.now())
    error = None
    try:
        first, last = parse_month(request.GET.get("month", ""), today)
    except PeriodError as refusal:
        (first, last), error = month_of(today), refusal.message
    context = {
        "hall": hall,
        "nav": "ranking",
        "first": first,
        "ranked": ratings.counter_ranking(hall, first, last),
        "error": error,
        "month_before": month_of(first - dt.timedelta(days=1))[0],
        "month_after": month_of(last + dt.timedelta(days=1))[0],
        "province": province.report_status(hall, timezone.now()),
    }
    return render(request, "reports/ranking.html", context)


@login_required
def comments(request, slug, revealed: WrittenComment | None = None):
    hall = access.supervisor_in_hall(request.user, slug).hall
    rated = Rating.objects.filter(hall=hall).exclude(comment="").select_related("service", "counter")
    page = Paginator(rated, PAGE_SIZE).get_page(request.GET.get("page"))
    written = [
        (c, c.phone.as_national if revealed and c.pk == revealed.pk else mask_phone(c.phone))
        for c in WrittenComment.objects.filter(hall=hall)[:PAGE_SIZE]
    ]
    context = {"hall": hall, "nav": "comments", "page": page, "written": written, "revealed": revealed}
    return render(request, "reports/comments.html", context)


@login_required
@require_POST
def moderate(request, slug, rating_id):
    return _moderate(
        request, access_rating(request.user, slug, rating_id), reverse("reports:comments", args=[slug])
    )


@login_required
@require_POST
def moderate_written(request, slug, comment_id):
    comment = access_written_comment(request.user, slug, comment_id)
    return _moderate(request, comment, reverse("reports:comments", args=[slug]) + "#without-ticket")


def _moderate(request, comment: Rating | WrittenComment, back: str):
    form = ModerationForm(request.POST)
    if form.is_valid():
        try:
            services.publish_comment(
                rating=comment,
                user=request.user,
                published=form.cleaned_data["published"],
                reply=form.cleaned_data["reply"],
            )
        except RatingError as refusal:
            messages.error(request, refusal.message)
    return redirect(back)


@login_required
@require_POST
def reveal_written_mobile(request, slug, comment_id):
    """The full mobile left with a comment written without a ticket, to call the citizen back (they were told
    "if you want us to call you back"); the showing is logged."""
    comment = access_written_comment(request.user, slug, comment_id)
    if not comment.phone:
        return redirect(reverse("reports:comments", args=[slug]) + "#without-ticket")
    audit.record_request(
        request,
        action=AuditAction.PHONE_REVEALED,
        hall=comment.hall,
        obj=comment,
        detail=f"comment {comment.pk} written without a ticket",
    )
    return comments(request, slug, revealed=comment)


@login_required
def follow_ups(request, slug):
    hall = access.supervisor_in_hall(request.user, slug).hall
    cases = FollowUp.objects.for_hall(hall).select_related("rating__service", "rating__counter")
    show_all = request.GET.get("all") == "1"
    if not show_all:
        cases = cases.unfinished()
    context = {
        "hall": hall,
        "nav": "follow_ups",
        "cases": Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page")),
        "today": hall.local_date(timezone.now()),
        "show_all": show_all,
    }
    return render(request, "reports/follow_ups.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def follow_up(request, slug, case_id):
    case = access_follow_up(request.user, slug, case_id)
    form = NoteForm(request.POST if request.method == "POST" else None)
    error = None
    if form.is_bound and form.is_valid():
        act = services.advance_case if request.POST.get("action") == "advance" else services.add_case_note
        try:
            act(case=case, user=request.user, note=form.cleaned_data["note"])
        except RatingError as refusal:
            error = refusal.message
        else:
            return redirect("reports:follow_up", slug, case.pk)
    return _follow_up_page(request, case, form, error)


@login_required
@require_POST
def reveal_mobile(request, slug, case_id):
    """Show the citizen's full mobile number to call them back, and log that it was shown."""
    case = access_follow_up(request.user, slug, case_id)
    ticket = case.rating.ticket
    if not ticket.phone:
        return redirect("reports:follow_up", slug, case.pk)
    audit.record_request(
        request, action=AuditAction.PHONE_REVEALED, hall=case.hall, obj=ticket, detail=f"follow-up {case.pk}"
    )
    return _follow_up_page(request, case, NoteForm(), None, revealed_phone=ticket.phone)


def _follow_up_page(request, case, form, error, revealed_phone=None):
    context = {
        "hall": case.hall,
        "nav": "follow_ups",
        "case": case,
        "notes": case.notes.select_related("author"),
        "form": form,
        "error": error,
        "today": case.hall.local_date(timezone.now()),
        "next_state": services.CASE_STEPS.get(case.state, (None, None))[0],
        "phone_masked": mask_phone(case.rating.ticket.phone) if case.rating.ticket.phone else "",
        "revealed_phone": revealed_phone,
    }
    return render(request, "reports/follow_up.html", context)
