#!/usr/bin/env bash
# Install everything Media Studio needs on a fresh Debian/Ubuntu machine, once:
#   Debian packages (ffmpeg, espeak-ng, libgl1, gcc), a virtual environment in .venv with the CPU
#   build of torch and every extra, and the offline model weights.
# Re-running is cheap: a stamp keyed on the dependency files skips work already done.
# --browser also installs Debian's chromium and chromium-driver (the UI's browser test).
# GPU machines: export TORCH_SPEC and TORCH_INDEX first, e.g.
#   TORCH_SPEC=torch TORCH_INDEX=https://download.pytorch.org/whl/cu128 make setup
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}   # the CPU build; never a multi-GB CUDA download on CPU machines
TORCH_INDEX=${TORCH_INDEX:-}

log() { printf '[setup] %s\n' "$*"; }

browser=false
[ "${1:-}" = "--browser" ] && browser=true

need_apt=()
if $browser; then
    command -v chromium >/dev/null || need_apt+=(chromium)
    command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
fi
command -v ffmpeg >/dev/null || need_apt+=(ffmpeg)
command -v espeak-ng >/dev/null || need_apt+=(espeak-ng)
dpkg -s libgl1 >/dev/null 2>&1 || need_apt+=(libgl1)   # opencv-python needs libGL
command -v gcc >/dev/null || need_apt+=(gcc)   # torch.compile on a CPU builds its kernels with it
if [ ${#need_apt[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    log "installing Debian packages: ${need_apt[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

stamp="$VENV/.setup-$(cat pyproject.toml constraints/cpu.txt scripts/setup.sh | sha256sum | cut -c1-16)"
if [ -f "$stamp" ]; then
    log "Python environment up to date ($VENV)"
else
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    pip=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
    constraints=()
    if [ "$TORCH_SPEC" = "torch==2.13.0" ] && [ -z "$TORCH_INDEX" ]; then
        constraints=(-c constraints/cpu.txt)   # keeps every later install on the CPU torch
    fi
    log "installing $TORCH_SPEC"
    if [ -n "$TORCH_INDEX" ]; then
        "${pip[@]}" "$TORCH_SPEC" --index-url "$TORCH_INDEX"
    else
        "${pip[@]}" "$TORCH_SPEC"
    fi
    log "installing media-studio with every extra (a few minutes the first time)"
    "${pip[@]}" "${constraints[@]}" -e '.[all,dev]'
    rm -f "$VENV"/.setup-*
    touch "$stamp"
fi

log "installing offline model weights"
"$VENV/bin/studio" models install --offline-defaults
log "done"
