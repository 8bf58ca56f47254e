"""The orchestration room: the one Dagster Definitions object (definitions), its jobs,
schedules and sensors, the in-process runner `openbook run` uses (runner, changes, and
instance: Dagster's SQLite storage with its engines kept for the run), the scale-out loader
onto DuckLake (lake), and the `openbook` command line (cli, which hooks in the analyst and
workbench commands).

Imports: every other room; nothing imports pipelines.
"""
