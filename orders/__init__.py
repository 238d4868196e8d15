"""Orders: customers, orders, line items, shipments and their events."""
