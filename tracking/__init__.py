"""Tracking: the branded public tracking pages, cross-sell and carrier feeds."""
