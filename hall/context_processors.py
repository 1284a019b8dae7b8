LARGE_TEXT_COOKIE = "large_text"


def display_preferences(request):
    return {"large_text": request.COOKIES.get(LARGE_TEXT_COOKIE) == "1"}
