"""What every `gridwatch` command shares: the error console and `fail`."""

from __future__ import annotations

import typer
from rich.console import Console

err = Console(stderr=True)
"""Standard error, for messages and progress (standard output stays for the command's result)."""


def fail(message: str) -> typer.Exit:
    """Print an error naming the problem and return the exit (code 2) to raise.

    Example:
        >>> raise fail(f"{path}: no such file")
    """
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)
