"""Outgoing webhooks: merchants receive our business events, signed, retried, logged."""
