"""Accounts: allauth, sessions, second factor, lockout."""

from __future__ import annotations

from typing import Any

from project.settings.environment import IS_PRODUCTION, env

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out credentials before anything checks them.
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# qsessions' cached_db store, whose cache read can travel with another (apps/accounts/sessions.py).
SESSION_ENGINE = "apps.accounts.sessions"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
LOGIN_REDIRECT_URL = "/"

ACCOUNT_ADAPTER = "apps.accounts.adapters.AccountAdapter"
ACCOUNT_ALLOW_SIGNUP: bool = env.bool("ACCOUNT_ALLOW_SIGNUP", default=True)
SOCIALACCOUNT_ADAPTER = "apps.accounts.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_USER_MODEL_EMAIL_FIELD = "email"
ACCOUNT_UNIQUE_EMAIL = True
# "former-author" owns the posts of deleted accounts (apps.accounts.profile.services).
ACCOUNT_USERNAME_BLACKLIST = ["former-author", "admin", "administrator", "root", "inkwell"]
# Unverified users may sign in and read; services refuse them comments and posts.
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_CHANGE_EMAIL = True  # a new address is verified before it replaces the old one
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False  # our services end the *other* sessions instead
ACCOUNT_SESSION_REMEMBER = None  # the login form offers "remember me"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
# django-axes owns lockout (it is audited); allauth's failed-login limit is relaxed
# so the two limiters never race (stack-notes, trap 9). Its other limits stay.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "100/m/ip,100/5m/key",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "confirm_email": "1/3m/key",
}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False


def _social_provider(name: str, scope: list[str]) -> dict[str, Any] | None:
    """A provider configured from the environment, or None when its credentials are unset."""
    client_id = env.str(f"{name}_CLIENT_ID", default="")
    secret = env.str(f"{name}_CLIENT_SECRET", default="")
    if not (client_id and secret):
        return None
    return {"APPS": [{"client_id": client_id, "secret": secret}], "SCOPE": scope}


# A provider is offered when its credentials are set here or a SocialApp exists in the admin.
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, Any]] = {
    key: config
    for key, config in {
        "github": _social_provider("GITHUB", ["read:user", "user:email"]),
        "google": _social_provider("GOOGLE", ["profile", "email"]),
    }.items()
    if config
}

OTP_TOTP_ISSUER: str = env.str("SITE_NAME", default="Inkwell")
OTP_EMAIL_TOKEN_VALIDITY = 10 * 60
OTP_EMAIL_SUBJECT = "Your sign-in code"
# "Trust this browser": how long a browser that passed the second factor may skip it.
MFA_TRUST_BROWSER_DAYS = 30

AXES_FAILURE_LIMIT: int = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME: float = env.float("AXES_COOLOFF_MINUTES", default=15.0) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"  # allauth's login form
AXES_USERNAME_CALLABLE = "apps.accounts.lockouts.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "apps.core.http.client_ip"
# Behind nginx (production) the client is the last address nginx appended to
# X-Forwarded-For; elsewhere it is the socket's peer.
USE_X_FORWARDED_FOR: bool = env.bool("DJANGO_USE_X_FORWARDED_FOR", default=IS_PRODUCTION)
