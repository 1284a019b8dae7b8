from django.utils.functional import SimpleLazyObject

from hall import navigation

LARGE_TEXT_COOKIE = "large_text"


def display_preferences(request):
    return {"large_text": request.COOKIES.get(LARGE_TEXT_COOKIE) == "1"}


def staff_navigation(request):
    """`staff_menu`: the staff header of the signed-in user (hall/navigation.py), built only when a page
    draws it (templates/hall/_staff_header.html), so citizen pages pay no query for it."""
    return {"staff_menu": SimpleLazyObject(lambda: navigation.menu_for(request.user, request.path))}
