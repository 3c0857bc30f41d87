# The two commands of the README:  `make demo`  and  `make test`.
# Both install everything first (scripts/setup.sh; cheap when already done).
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= outputs/demo

.PHONY: setup demo test lint bench clean

setup:
	bash scripts/setup.sh

demo: setup
	$(BIN)/studio demo-media --out $(DEMO_DIR)
	$(BIN)/studio probe $(DEMO_DIR)/demo.mp4
	$(BIN)/studio transcribe $(DEMO_DIR)/demo.mp4 --format srt -o $(DEMO_DIR)/demo.srt
	cat $(DEMO_DIR)/demo.srt
	$(BIN)/studio analyze $(DEMO_DIR)/demo.mp4 --fps 5 --tasks detect,track,pose,motion \
		--annotate $(DEMO_DIR)/demo_annotated.mp4 --output $(DEMO_DIR)/timeline.json
	$(BIN)/studio models list

test:
	bash scripts/setup.sh --browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy && $(BIN)/lint-imports

bench: setup
	$(BIN)/python benchmarks/decode.py
	$(BIN)/python benchmarks/asr.py
	$(BIN)/python benchmarks/analyze.py
	$(BIN)/python benchmarks/generate.py
	$(BIN)/python benchmarks/serve.py
	$(BIN)/python -m evaluations.detection_accuracy

clean:
	rm -rf $(VENV) outputs .pytest_cache .mypy_cache .ruff_cache
