"""The warehouse room: where openbook keeps its files (settings), the one DuckDB file and its
single writer (connection), the SQL files and how they run (sql_files), each model's
documentation (sql_docs), the model graph read from the SQL itself (model_graph), the
report thresholds (report_settings), the variation measures (measures), money and counts as
text outside the reports (plain_text) and the YAML and quality settings people edit.

Imports: nothing else of openbook. Every other room may import this one.
"""
