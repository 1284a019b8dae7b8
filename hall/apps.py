from django.apps import AppConfig
from django.db import connection
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class HallConfig(AppConfig):
    name = "hall"
    verbose_name = _("Service hall")

    def ready(self):
        from django.contrib.auth import signals as auth_signals

        from hall import audit, checks, lookups, security, services, signin_throttle  # noqa: F401 - registers

        post_migrate.connect(services.ensure_role_groups, sender=self)
        if connection.vendor == "postgresql":
            from hall import dbpool

            connection_created.connect(dbpool.use_socket_check, dispatch_uid="pool_socket_check")
        auth_signals.user_logged_in.connect(audit.on_signed_in, dispatch_uid="audit_signed_in")
        auth_signals.user_logged_in.connect(security.on_signed_in, dispatch_uid="idle_clock_starts")
        auth_signals.user_logged_out.connect(audit.on_signed_out, dispatch_uid="audit_signed_out")
        auth_signals.user_login_failed.connect(audit.on_sign_in_failed, dispatch_uid="audit_sign_in_failed")
        auth_signals.user_login_failed.connect(signin_throttle.on_sign_in_failed, dispatch_uid="sign_ins")
