"""Built-in task plugins: one module per task, each registering itself with ``@register``.

Every module here (not starting with ``_``) is imported by ``rmbench.registry`` on first
use, so adding a task is adding a file. See CONTRIBUTING.md.
"""
