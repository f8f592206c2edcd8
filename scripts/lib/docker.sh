# Sourced by scripts/setup: makes sure a Docker engine answers, and that debootstrap (which builds the local
# SDK) and docker-registry (the loopback registry of the demo and the e2e tests) are installed. As root on
# Debian it installs Debian's docker.io, debootstrap and docker-registry when missing and
# starts dockerd; anywhere else it says what to do and fails. Quiet when everything is already there.
# Needs a recent node on PATH (node.sh's use_recent_node) to talk to the engine.
TWOLITER_DOCKERD_LOG=${TWOLITER_DOCKERD_LOG:-/var/log/twoliter-dockerd.log}
TWOLITER_DOCKERD_WAIT=${TWOLITER_DOCKERD_WAIT:-60}

# Pings the engine that DOCKER_HOST names (unix:// or tcp://), else /var/run/docker.sock, as twoliter does.
docker_engine_answers() {
  node -e '
    const http = require("node:http")
    const host = process.env.DOCKER_HOST || "unix:///var/run/docker.sock"
    const target = host.startsWith("unix://") ? {socketPath: host.slice(7) || "/var/run/docker.sock"}
      : host.startsWith("tcp://") ? (() => { const u = new URL(host); return {host: u.hostname, port: u.port || 2375} })()
      : null
    if (target === null) process.exit(2)
    // A TLS engine needs its client certificates; twoliter itself checks it when it connects.
    if (host.startsWith("tcp://") && process.env.DOCKER_TLS_VERIFY === "1") process.exit(0)
    const request = http.get({...target, path: "/_ping", timeout: 5000}, (response) => {
      response.resume()
      process.exit(response.statusCode === 200 ? 0 : 1)
    })
    request.on("timeout", () => request.destroy())
    request.on("error", () => process.exit(1))
  '
}

host_is_debian() {
  [ -r /etc/os-release ] && (. /etc/os-release && [ "${ID:-}" = debian ])
}

apt_update_once() {
  if [ -z "${TWOLITER_APT_UPDATED:-}" ]; then
    echo "apt-get update" >&2
    apt-get update -qq >&2
    TWOLITER_APT_UPDATED=1
  fi
}

# Installs the Debian packages whose command is missing: "command:package" pairs.
apt_install_missing() {
  local pair missing=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair##*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_update_once
  echo "installing ${missing[*]} (apt-get install)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

start_dockerd() {
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    echo "starting docker (systemctl start docker)" >&2
    systemctl start docker >&2
  else
    echo "starting dockerd in the background (log: $TWOLITER_DOCKERD_LOG)" >&2
    mkdir -p "$(dirname "$TWOLITER_DOCKERD_LOG")"
    PATH="/usr/sbin:/sbin:$PATH" nohup dockerd >>"$TWOLITER_DOCKERD_LOG" 2>&1 </dev/null &
  fi
  local waited=0
  until docker_engine_answers; do
    if [ "$waited" -ge "$TWOLITER_DOCKERD_WAIT" ]; then
      echo "dockerd did not answer within ${TWOLITER_DOCKERD_WAIT} s. Its last log lines ($TWOLITER_DOCKERD_LOG):" >&2
      tail -n 20 "$TWOLITER_DOCKERD_LOG" >&2 2>/dev/null || true
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  echo "dockerd is up after ${waited} s" >&2
}

docker_help() {
  cat >&2 <<EOF
twoliter needs a Docker engine for builds and end-to-end tests, and none answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}.
$1
Then run scripts/setup again.
EOF
}

ensure_docker_engine() {
  local is_root=
  [ "$(id -u)" = 0 ] && is_root=1
  if [ -n "$is_root" ] && host_is_debian; then
    apt_install_missing dockerd:docker.io debootstrap:debootstrap docker-registry:docker-registry
  fi
  docker_engine_answers && return 0

  # A dockerd started here listens on /var/run/docker.sock, so it cannot serve any other DOCKER_HOST.
  if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != unix:///var/run/docker.sock ]; then
    docker_help "DOCKER_HOST names an engine that setup cannot start: start it, or unset DOCKER_HOST to let setup use the local one."
    return 1
  fi
  if [ -z "$is_root" ]; then
    if [ -S /var/run/docker.sock ]; then
      docker_help "The socket exists, so you may lack the right to use it: add yourself to the docker group (sudo usermod -aG docker \$USER, then log in again), or run as root."
    else
      docker_help "Run scripts/setup as root on Debian (it installs docker.io and starts dockerd), or start Docker yourself (for example: sudo systemctl start docker), or set DOCKER_HOST to a running engine."
    fi
    return 1
  fi
  if ! host_is_debian; then
    docker_help "This host is not Debian, so setup does not install Docker itself: install and start Docker (https://docs.docker.com/engine/install/) and debootstrap with your package manager, or set DOCKER_HOST to a running engine."
    return 1
  fi
  start_dockerd
}
