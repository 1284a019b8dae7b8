from asgiref.sync import iscoroutinefunction, sync_to_async
from django.utils.decorators import sync_and_async_middleware
from whitenoise.middleware import WhiteNoiseMiddleware


@sync_and_async_middleware
def static_files(get_response):
    """WhiteNoise, without its cost for every other request under ASGI.

    WhiteNoiseMiddleware is synchronous only, so under the ASGI server every request would hop to a thread
    and back just to learn that it is not a static file. Here only requests under STATIC_URL go to it.
    """
    whitenoise = WhiteNoiseMiddleware(get_response)
    if not iscoroutinefunction(get_response):
        return whitenoise

    def find(path):
        return whitenoise.find_file(path) if whitenoise.autorefresh else whitenoise.files.get(path)

    async def middleware(request):
        if request.path_info.startswith(whitenoise.static_prefix):
            static_file = await sync_to_async(find, thread_sensitive=False)(request.path_info)
            if static_file is not None:
                return await sync_to_async(whitenoise.serve, thread_sensitive=False)(static_file, request)
        return await get_response(request)

    return middleware
