"""Pure domain core: rules and value objects with no I/O, no clock reads and no framework."""
