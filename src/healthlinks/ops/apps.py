from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: security middleware, session revocation, backup/restore, personal data erasure."""

    name = "healthlinks.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from healthlinks.ops.middleware import mark_session_seen

        user_logged_in.connect(mark_session_seen, dispatch_uid="healthlinks-ops-session-seen")
