"""The merchant dashboard: sign-in, settings, branding, team, keys and metrics."""
