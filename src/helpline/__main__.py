"""Allow `python -m helpline`."""

from helpline.cli import main

main()
