"""The playground benchmark: `python -m bench` (QUICK=1 for the short version).

Everything is measured at the client, over loopback: a websocket client signed in
with a session cookie (like a browser) against Daphne, and an httpx client
straight to the same loopback provider as the baseline.
"""
