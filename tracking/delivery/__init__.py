"""Failed deliveries the buyer can fix: a branded page, the answer sent to the merchant."""
