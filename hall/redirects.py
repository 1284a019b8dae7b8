"""Where a `next` parameter may send the user."""

from django.utils.http import url_has_allowed_host_and_scheme


def path_on_this_site(request, url: str) -> str | None:
    """`url` if it is a path on this site, else None. Anything else is refused: another site would be an open
    redirect, and redirect() would take a plain word for a view name and fail on it (500)."""
    if url.startswith("/") and url_has_allowed_host_and_scheme(
        url, {request.get_host()}, request.is_secure()
    ):
        return url
    return None
