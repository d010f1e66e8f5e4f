"""Events that higher apps (showroom, DCC, customer service) listen to; leads never imports them.

- ``customers_merged(survivor, absorbed, lead_map, actor)``: move your rows from the absorbed
  customers (and from merged leads: ``lead_map`` maps old lead id → kept lead id) to the survivor.
- ``lead_handed_to_dcc(lead, actor)``: a manager asked the DCC to work this lead.
- ``lead_created(lead, actor)``: a new lead exists (desk, import, ingest, DCC inbound call).
"""

from django.dispatch import Signal

customers_merged = Signal()
lead_handed_to_dcc = Signal()
lead_created = Signal()
