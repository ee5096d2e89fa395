"""A Django hello-world for `make bench`: the floor every Inkwell page is compared with.

Its own settings and URLconf, so `/hello` never exists in the product. Served by the same
granian command as Inkwell (tests/perf/stack.py): `tests.perf.hello.wsgi:application`.
"""
