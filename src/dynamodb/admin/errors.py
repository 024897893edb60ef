"""DynamoDB down, throttling or missing a table, in the admin: its error page, never a 500.

A page that cannot be read or saved answers 503 with ``Retry-After``, the
admin's error message saying how long to wait, and a link to retry.
"""

from django.contrib import messages
from django.template.response import TemplateResponse

from ..exceptions import UNAVAILABLE, TableNotFound, Throttled


class EngineErrorsMixin:
    """The admin's error page, not a 500, when DynamoDB is down, throttling or missing a table.

    The response is rendered inside the guard, so that a read a template
    makes (a related item's ``__str__``) is guarded too.
    """

    unavailable_template = "dynamodb/admin/unavailable.html"

    def guarded(self, view, request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
            if isinstance(response, TemplateResponse):
                response.render()
            return response
        except UNAVAILABLE as error:
            return self.engine_unavailable(request, error)

    def engine_unavailable(self, request, error):
        """503 with Retry-After: the admin's page, its error message and a retry link."""
        if isinstance(error, TableNotFound):
            message = (
                "A DynamoDB table of this page does not exist: create it with "
                "`manage.py createdynamotables` (or `migrate`), then retry."
            )
            retry_after = 5
        else:
            retry_after = getattr(error, "retry_after", 5)
            state = "busy (throttled)" if isinstance(error, Throttled) else "unavailable"
            message = (
                f"DynamoDB is temporarily {state}: this page could not be read or saved. "
                f"Retry in {retry_after} s."
            )
        self.message_user(request, message, messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "title": "Database unavailable",
            "subtitle": None,
            "opts": self.opts,
            "retry_url": request.get_full_path(),
        }
        response = TemplateResponse(request, self.unavailable_template, context, status=503)
        response["Retry-After"] = str(retry_after)
        return response.render()

    def changelist_view(self, request, extra_context=None):
        return self.guarded(super().changelist_view, request, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return self.guarded(super().delete_view, request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        return self.guarded(super().history_view, request, object_id, extra_context)
