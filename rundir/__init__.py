"""The run directory: the one contract between the planes, in code.

Every plane may import this package; it imports no plane (an import-linter ``layers`` contract in
``pyproject.toml``). It holds what writers and readers of a run directory must agree on, each defined once:

- :mod:`rundir.layout`: file and folder names, the outcome and endpoint vocabulary, the chaos record kinds;
- :mod:`rundir.columns`: the columns and types of every parquet file (plain Python, no pyarrow import);
- :mod:`rundir.schemas`: the same as pyarrow schemas;
- :mod:`rundir.parts`: the crash-safe part writer and the consolidation of parts into one file;
- :mod:`rundir.manifest`: reading and writing ``manifest.json`` (never a secret in it);
- :mod:`rundir.thresholds`: the typed SLO / validity / cluster-check thresholds of a profile, with one parser;
- :mod:`rundir.launch`: the command line that starts a load run into a run directory (both planes that start one).

``docs/run-directory.md`` describes the same contract for people; ``tests/rundir/`` keeps the two in step.
Importing this package has no side effect and does not import pyarrow (the load generator imports it lazily).
"""
