"""Carrier tracking feeds from aggregators (EasyPost): verify, store raw, map statuses."""
