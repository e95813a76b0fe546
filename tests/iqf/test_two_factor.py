"""A second factor for staff: with STAFF_TWO_FACTOR (production's default) signing in to the
admin takes the password and the current code of the person's authenticator app."""

import io
import re
import time

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_factor(settings):
    settings.STAFF_TWO_FACTOR = True


def staff(username: str = "clerk"):
    return UserFactory(username=username, password="right-password", is_staff=True, is_superuser=True)


def device_for(user) -> TOTPDevice:
    call_command("totp_device", user.username, stdout=io.StringIO())
    return TOTPDevice.objects.get(user=user)


def code_of(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in(client, username: str, password: str, token: str = ""):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password, "otp_token": token}
    )


def test_the_sign_in_form_asks_for_the_code(client, two_factor):
    page = client.get(reverse("admin:login")).content.decode()
    assert 'name="otp_token"' in page


def test_the_password_alone_is_not_enough(client, two_factor):
    device_for(staff())
    response = sign_in(client, "clerk", "right-password")
    assert response.status_code == 200
    assert not Session.objects.exists()
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_password_and_the_current_code_sign_in(client, two_factor):
    device = device_for(staff())
    assert sign_in(client, "clerk", "right-password", code_of(device)).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize("token", ["000000", "abcdef", "1" * 200])
def test_a_wrong_code_does_not_sign_in(client, two_factor, token):
    device = device_for(staff())
    if token == code_of(device):
        token = f"{(int(token) + 1) % 10**6:06d}"
    assert sign_in(client, "clerk", "right-password", token).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_an_old_code_does_not_sign_in(client, two_factor):
    device = device_for(staff())
    assert sign_in(client, "clerk", "right-password", code_of(device, offset_steps=-10)).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_code_for_another_person_does_not_sign_in(client, two_factor):
    staff()
    others = device_for(staff("other"))
    device_for(staff("third"))
    assert sign_in(client, "clerk", "right-password", code_of(others)).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_session_signed_in_without_the_code_is_not_let_in(client, two_factor):
    client.force_login(staff())
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_without_the_setting_a_password_is_enough(client, settings):
    settings.STAFF_TWO_FACTOR = False
    staff()
    assert sign_in(client, "clerk", "right-password").status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_command_prints_a_set_up_address_once_and_replaces_only_when_told(capsys):
    user = staff()
    call_command("totp_device", "clerk")
    printed = capsys.readouterr().out
    device = TOTPDevice.objects.get(user=user)
    assert re.search(r"otpauth://totp/IQF%3Aclerk\?secret=[A-Z2-7]+&", printed)
    assert device.confirmed
    with pytest.raises(CommandError, match="already has"):
        call_command("totp_device", "clerk")
    call_command("totp_device", "clerk", "--replace")
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert TOTPDevice.objects.get(user=user).key != device.key


def test_the_command_refuses_unknown_and_non_staff_users():
    UserFactory(username="visitor", is_staff=False)
    with pytest.raises(CommandError, match="No user"):
        call_command("totp_device", "nobody")
    with pytest.raises(CommandError, match="not staff"):
        call_command("totp_device", "visitor")
    assert not TOTPDevice.objects.exists()
