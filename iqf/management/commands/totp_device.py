"""Give a staff member an authenticator device (django-otp TOTP) for the second factor."""

import io

import qrcode
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Make USERNAME a new authenticator device and print its set-up address and QR code, "
        "to scan into an authenticator app (their earlier devices are removed with --replace)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Remove the person's existing devices first (a lost phone).",
        )

    def handle(self, *args, username: str, replace: bool, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_staff:
            raise CommandError(f"{username} is not staff: only staff sign in to the admin.")
        existing = TOTPDevice.objects.filter(user=user)
        if existing.exists() and not replace:
            raise CommandError(
                f"{username} already has an authenticator device; --replace removes it and makes a new one."
            )
        existing.delete()
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        picture = qrcode.QRCode(border=1)
        picture.add_data(device.config_url)
        drawn = io.StringIO()
        picture.print_ascii(out=drawn, invert=True)
        self.stdout.write(drawn.getvalue())
        self.stdout.write(f"Set-up address for {username}'s authenticator app:\n{device.config_url}")
