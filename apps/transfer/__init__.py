"""Data in and out: imports from WordPress (WXR) and Ghost, the lossless site export and its
import, the WXR export, and each reader's own data export."""
