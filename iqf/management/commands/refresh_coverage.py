"""The former name of ``refresh_derived``, kept for the scripts that call it."""

from iqf.management.commands import refresh_derived


class Command(refresh_derived.Command):
    help = "Another name for refresh_derived. " + refresh_derived.Command.help
