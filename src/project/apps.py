from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The service itself: connects its login protection (``project.logins``)."""

    name = "project"

    def ready(self):
        from axes.signals import user_locked_out

        from . import logins

        user_locked_out.connect(logins.refuse_in_drf, dispatch_uid="project.logins.refuse_in_drf")
