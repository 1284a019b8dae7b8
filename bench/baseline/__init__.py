"""The floor of each hot path: a bare Django app on the same versions (Django, psycopg, gunicorn sync workers)
doing the least work a booking, a call-next and a complete can be, and a trivial JSON view.

bench/floor.py serves it the way Chuangkou is served and drives both with the same clients in one run, so
that each figure of Chuangkou is printed as a ratio to the floor measured next to it (these machines are
noisy; a ratio taken in one run is not)."""
