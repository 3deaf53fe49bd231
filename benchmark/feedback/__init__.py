"""Human story preferences: a static side-by-side page, a local click server backed by
SQLite, and an export of the clicks as prepared preference pairs (task ``human-feedback``).

Modules: ``page`` (write the page and its private provenance file), ``store`` (SQLite),
``server`` (stdlib HTTP on 127.0.0.1), ``export`` (clicks -> prepared data, agreement with
the evaluator) and ``cli`` (``rmbench feedback``).
"""
