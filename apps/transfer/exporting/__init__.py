"""The full-site export (zip of JSON Lines + media) and what starts it.

See `site.py` for the zip's layout, `registry.py` for what is in it and what is left out,
and `apps.transfer.portable` for loading it into an empty Inkwell.
"""

from apps.transfer.exporting.services import RateLimitedError, start_site_export
from apps.transfer.exporting.site import ExportProgress, export_filename, stream_site_export

__all__ = [
    "ExportProgress",
    "RateLimitedError",
    "export_filename",
    "start_site_export",
    "stream_site_export",
]
