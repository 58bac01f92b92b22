"""Use cases: load through a unit of work, ask the domain, save, announce after commit."""
