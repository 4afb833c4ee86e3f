"""Subcommands of the ``bpstep`` CLI. Each module here has ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``; list it in ``COMMANDS`` to register it."""

COMMANDS: tuple[str, ...] = (
    "list",
    "trace",
    "validate",
    "gradcheck",
    "check",
    "export",
    "vary",
    "record",
    "replay",
    "serve",
)
