# The two commands: `make demo` starts the demo shop, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint venv worker beat bench messages

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

venv: $(VENV)/.installed

demo: venv
	bash scripts/demo.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: venv
	bash scripts/test.sh

worker: venv
	$(VENV)/bin/celery -A shop worker -l info

beat: venv
	$(VENV)/bin/celery -A shop beat -l info

bench: venv
	bash bench/run.sh

messages: venv
	$(PY) manage.py makemessages -l ja -l en --ignore=.venv --ignore=bench --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv
