"""The dashboard stores nothing of its own: staff notes on orders are orders.OrderNote."""
