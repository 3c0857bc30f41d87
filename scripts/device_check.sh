#!/usr/bin/env bash
# The device check of this session: the GPU tests (tiny Wan on CUDA, generate jobs sharing the
# device slot) and the Wan-1.3B-sized generation benchmark, with its numbers under $OUT.
set -uo pipefail
pip install -q --no-deps --target /tmp/site .whl/*.whl 2>&1 | tail -2
export PYTHONPATH=/tmp/site:$PWD
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $OUT/gpu.txt
python -c "import torch, diffusers, av, transformers; print(torch.__version__, diffusers.__version__, av.__version__, transformers.__version__)" | tee -a $OUT/gpu.txt
timeout 200 python -m pytest -m gpu -q -p no:cacheprovider tests/models/test_generate_diffusers.py 2>&1 | tail -5 | tee $OUT/pytest_gpu.txt
timeout 300 python benchmarks/generate.py --full --steps 10 2>&1 | tail -25 | tee $OUT/generate_full.txt
