# The two commands that open the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DB ?= var/demo.sqlite3

.PHONY: run test test-slow bench demo clean fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# A demo that fails half-way is removed, so the next `make run` builds it again instead of using it.
$(DEMO_DB): | $(STAMP)
	mkdir -p $(dir $(DEMO_DB))
	$(BIN)/kiosk demo --db $(DEMO_DB) || { rm -rf $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB).keys; exit 1; }

demo: $(DEMO_DB)

run: $(STAMP) $(DEMO_DB)
	$(BIN)/kiosk run --db $(DEMO_DB) $(ARGS)

# Two workers (the station PCs and CI have 2 cores); a file's tests stay on one worker. JOBS=0 runs in one process.
JOBS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -q $(if $(filter 0,$(JOBS)),,-n $(JOBS) --dist loadfile) $(PYTEST_ARGS)

test-slow: $(STAMP)
	$(BIN)/python -c 'import atheris' 2>/dev/null || $(BIN)/pip install --quiet -e '.[fuzz]'
	$(BIN)/python -m pytest -q -m slow $(PYTEST_ARGS)

# Coverage-guided fuzzing (fuzz/README.md): every harness for 60 s, or FUZZ=scan FUZZ_SECONDS=300.
fuzz: $(STAMP)
	$(BIN)/python -c 'import atheris' 2>/dev/null || $(BIN)/pip install --quiet -e '.[fuzz]'
	$(BIN)/python -m fuzz $(or $(FUZZ),all) --seconds $(or $(FUZZ_SECONDS),60)

bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) var build *.egg-info
