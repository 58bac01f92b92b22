"""(placeholder: being written for issue 3)"""

from __future__ import annotations

from helpline.bootstrap import Container


async def run(container: Container) -> None:
    """Runs until cancelled."""
    return None
