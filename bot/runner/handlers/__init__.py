"""Side paths a message may take before the turn proper, each its own small handler."""
