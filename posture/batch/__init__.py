"""Batch runs: many photos through a local process pool or Ray, one Parquet row each.

inputs.py (files, folders, CSV manifests) -> work.py (one photo -> one row; one model per
worker) -> runner.py (local process pool) or ray_backend.py (actors) -> writer.py (part
files, resume); rows.py is the schema, progress.py the bar and summary, command.py the CLI.
Nothing is imported here, so `posture --help` does not pay for pyarrow.
"""
