"""Notifications: touchpoints, their dispatch, email and SMS."""
