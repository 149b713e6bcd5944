"""Command-line tools: ``protobrain`` (subcommands) and ``protobrain-experiment``."""
