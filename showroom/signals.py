"""Events of the showroom that higher apps listen to (customer service schedules the callback
ladder on ``order_delivered(order, actor)``); the showroom never imports them."""

from django.dispatch import Signal

order_delivered = Signal()
