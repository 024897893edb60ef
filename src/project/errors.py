"""Error pages: JSON under /api/, like the API's own errors; Django's pages elsewhere."""

from django.http import JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def not_found(request, exception):
    """404 for a URL no route matches (e.g. /api/dynamo/booking/abc/: ids are integers)."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
