"""`python -m gridwatch` runs the command line."""

from gridwatch.cli import main

main()
