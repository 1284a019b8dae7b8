PY := .venv/bin/python

.PHONY: run test lint messages compilemessages

run:
	python3 dev.py run

test:
	python3 dev.py test

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

messages:
	$(PY) scripts/translations.py extract
	$(PY) scripts/translations.py check || true

compilemessages:
	$(PY) scripts/translations.py compile
