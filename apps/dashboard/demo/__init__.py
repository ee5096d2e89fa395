"""The demo site behind `manage.py seed_demo`: content files, their loader and the seeding.

It lives in the dashboard, the interface layer, because seeding composes every app (accounts,
blog, comments); the apps below must not import each other upwards to do it.
"""

from apps.dashboard.demo.content import (
    CONTENT_DIR,
    DemoContent,
    DemoContentError,
    load_demo_content,
)
from apps.dashboard.demo.seeding import (
    DEMO_ADMIN_EMAIL,
    DEMO_ADMIN_PASSWORD,
    DEMO_READER_EMAIL,
    DEMO_READER_PASSWORD,
    DemoConflictError,
    SeedResult,
    seed_demo_admin,
    seed_demo_content,
    seed_demo_newsletter,
    seed_demo_reader,
)

__all__ = [
    "CONTENT_DIR",
    "DEMO_ADMIN_EMAIL",
    "DEMO_ADMIN_PASSWORD",
    "DEMO_READER_EMAIL",
    "DEMO_READER_PASSWORD",
    "DemoConflictError",
    "DemoContent",
    "DemoContentError",
    "SeedResult",
    "load_demo_content",
    "seed_demo_admin",
    "seed_demo_content",
    "seed_demo_newsletter",
    "seed_demo_reader",
]
