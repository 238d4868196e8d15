"""Follow-ups: the account managers' call queue and peer endorsements."""
