"""Developer tooling, not needed by `serve`: the benchmark (`run`, `servers`, `loadgen`), demo
data for trying the dashboard (`demo`) and the Datasette query timings (`query_timings`).

`writer.cli` imports these lazily, only for the commands that use them.
"""
