"""Human story preferences: a rater page, a local vote server backed by SQLite, and an export
of the votes as prepared preference pairs (task ``human-feedback``).

Modules: ``page`` (write the page and its private provenance file), ``store`` (SQLite: one
vote per rater per item), ``server`` (stdlib HTTP on 127.0.0.1), ``tally`` (votes per item and
rater, inter-rater agreement), ``admin`` (the ``/admin`` view), ``export`` (votes -> prepared
data, agreement with the evaluator) and ``cli`` (``rmbench feedback``).
"""
