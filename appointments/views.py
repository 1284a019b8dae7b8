from django.http import Http404


def _todo(request, **kwargs):
    raise Http404


choose_date = choose_time = details = join_waitlist = find_booking = manage = cancel = reschedule = _todo
ics = qr = waitlist_offer = _todo
