"""Experiments: one prompt, several models, many repeats, every run stored and compared.

spec.py checks what a person submits, store.py is the ORM work, runner.py runs a
batch as cancellable tasks, stats.py and export.py read the stored runs, and
views.py / consumer.py are the HTTP and websocket faces.
"""
