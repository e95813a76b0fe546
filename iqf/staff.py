"""Staff accounts, their groups and their second factors in the admin: Django's own pages,
without regular-expression lookups. Loaded once the admin has found every app's pages
(``IQFConfig.ready``), so that Django's registrations are there to replace."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from iqf.lib.admin import NoRegexLookups

# Staff authenticator devices are made with manage.py totp_device, which shows the secret
# once to whoever sets the person up, not kept on view in the admin.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


# Staff accounts and their groups keep Django's own admin pages (django.contrib.auth is
# installed before this app, so they are registered by now), without regular-expression
# lookups.
class StaffUserAdmin(NoRegexLookups, UserAdmin):
    pass


class StaffGroupAdmin(NoRegexLookups, GroupAdmin):
    pass


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), StaffUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, StaffGroupAdmin)
