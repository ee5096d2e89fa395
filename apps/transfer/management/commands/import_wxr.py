"""`manage.py import_wxr FILE [--dry-run] [--author-email EMAIL]`: import a WordPress site."""

from apps.transfer.management.commands._importing import ImportCommand
from apps.transfer.models import ImportRun


class Command(ImportCommand):
    help = "Import a WordPress export (WXR 1.1/1.2): authors, terms, posts, pages and comments."
    source = ImportRun.Source.WXR
