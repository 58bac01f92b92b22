"""Background loops that run beside the web server (one module per loop)."""
