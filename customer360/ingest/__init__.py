"""Seed CSV files -> validated model records -> any graph store's bulk writer.

``seed_files`` (what the five files are), ``csv_rows`` (reading them), ``cells`` (a row's values
-> a record), ``validate`` (pass 1: every problem), ``accepted_rows`` (pass 2: the records to
write), ``progress`` and ``load`` (:func:`load_bank`, all or nothing). Nothing here knows a
backend: each store's ``bulk`` module turns records into its own writes.
"""
