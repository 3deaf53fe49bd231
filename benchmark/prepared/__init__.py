"""The prepared-data contract, read side.

    manifest.py  ``Prepared``: a manifest read and validated once, every question about it
    resolve.py   ``--data`` spec -> prepared directory (the one prepare-on-demand hop)
    load.py      splits as ``datasets`` or row dicts; even samples across tasks
    export.py    plain prompt/chosen/rejected JSONL for other tools
    cli.py       ``rmbench export``
"""
