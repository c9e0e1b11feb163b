"""Embeddings: texts sent to an embedding model, their similarities, neighbours and a 2-D map; two models compared.

`maths` is the numbers (numpy), `runs` resolves, authorises and calls the
model, `saving` checks and stores a result, `export` writes CSV and JSON,
`views` the page and the JSON endpoints.
"""
