"""The records several services share and the ports of the repositories that keep them.

Below every service: a service imports what it needs from here (or from its own ``ports``), never
from a sibling service, and ``backend/db`` implements these ports.
"""
