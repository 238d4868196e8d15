"""Follow-ups: the account managers' call queue and peer endorsements."""

from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"

    def ready(self):
        try:
            from notifications.builders import register_builder
        except ImportError:  # the builder registry is not there: nothing to register with
            return
        from followups.messages import endorsement_email

        register_builder("endorsement_request", "email")(endorsement_email)
