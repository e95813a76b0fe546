"""The former name of ``refresh_derived``, kept for the scripts that call it."""

from iqf.management.commands.refresh_derived import Command as RefreshDerived


class Command(RefreshDerived):
    help = "Another name for refresh_derived. " + RefreshDerived.help
