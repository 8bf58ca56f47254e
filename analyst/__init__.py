"""The analysts' room: the published read-only copy of the warehouse and its data
dictionary (publish), Python access to it (access: connect, query, frame), and
`openbook sql` / `openbook query` (sql_shell, cli).

Imports: warehouse and reports (for the one cell-formatting rule shared with the packs).
"""
