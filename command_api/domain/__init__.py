"""The pure core of the command side: commands and decisions, with no I/O."""
