"""GraphiQL served by the service itself: the page, its vendored browser files, the example tabs.

Nothing here reaches outside the service at run time, so GraphiQL works on a network with no
route to the internet; ``vendor.py`` is the maintainer's command that refreshes the files.
"""
