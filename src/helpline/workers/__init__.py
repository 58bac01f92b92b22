"""Background loops, one module per loop."""
