"""Signed webhooks: admins register endpoints for site events; the worker delivers them."""
