"""Events of the orders layer for the apps above it. Sent on commit with the order's id; receivers only enqueue."""

from django.dispatch import Signal

order_placed = Signal()  # order_id
order_paid = Signal()  # order_id
order_shipped = Signal()  # order_id
order_delivered = Signal()  # order_id
order_cancelled = Signal()  # order_id
order_refunded = Signal()  # order_id, amount
