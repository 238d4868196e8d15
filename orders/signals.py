"""What orders tells the apps above it, so it never has to import them."""

from django.dispatch import Signal

# Sent inside the transaction that creates a shipment, with `merchant` and `shipment`:
# a receiver's writes commit or roll back with the shipment (tracking starts polling it).
shipment_created = Signal()
