# Sourced by the other scripts: a local OCI registry (Debian's docker-registry, distribution v2) on
# 127.0.0.1, for the demo and the e2e tests. Plain HTTP is fine: twoliter talks HTTP to loopback registries.
#
#   start_local_registry [port] [storage-dir]   starts one in the background unless something answers
#                                               at 127.0.0.1:<port>/v2/ already (default port 5000,
#                                               storage under /tmp); waits until it answers
#   stop_local_registry [port]                  stops the registry start_local_registry started there
#   local_registry_answers [port]               whether a registry answers at 127.0.0.1:<port>/v2/

TWOLITER_REGISTRY_BINARY=${TWOLITER_REGISTRY_BINARY:-docker-registry}
TWOLITER_REGISTRY_WAIT_SECONDS=${TWOLITER_REGISTRY_WAIT_SECONDS:-20}

local_registry_answers() {
  local port=${1:-5000} status_line=''
  # bash's /dev/tcp, so that neither curl nor wget is needed.
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  printf 'GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$port" >&3
  IFS= read -r -t 2 status_line <&3 || true
  exec 3<&- 3>&-
  # 401: a registry that wants credentials is still a registry.
  [[ $status_line =~ ^HTTP/[0-9.]+\ (200|401) ]]
}

_local_registry_state_dir() {
  echo "${TMPDIR:-/tmp}/twoliter-registry-${1:-5000}"
}

start_local_registry() {
  local port=${1:-5000}
  local state
  state=$(_local_registry_state_dir "$port")
  local storage=${2:-$state/storage}
  if local_registry_answers "$port"; then
    echo "A registry already answers at 127.0.0.1:$port." >&2
    return 0
  fi
  if ! command -v "$TWOLITER_REGISTRY_BINARY" >/dev/null 2>&1; then
    echo "$TWOLITER_REGISTRY_BINARY is not installed: on Debian, run \`apt-get install docker-registry\` (as root)." >&2
    return 1
  fi

  mkdir -p "$state" "$storage"
  cat >"$state/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
  nohup "$TWOLITER_REGISTRY_BINARY" serve "$state/config.yml" >"$state/registry.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$state/registry.pid"

  local waited=0
  until local_registry_answers "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "docker-registry exited before it answered at 127.0.0.1:$port; its log ($state/registry.log):" >&2
      tail -n 20 "$state/registry.log" >&2
      rm -f "$state/registry.pid"
      return 1
    fi
    if ((waited >= TWOLITER_REGISTRY_WAIT_SECONDS * 10)); then
      echo "docker-registry did not answer at 127.0.0.1:$port within ${TWOLITER_REGISTRY_WAIT_SECONDS}s; stopping it." >&2
      stop_local_registry "$port"
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  echo "Local registry at 127.0.0.1:$port (storage $storage, pid $pid)." >&2
}

stop_local_registry() {
  local port=${1:-5000}
  local state
  state=$(_local_registry_state_dir "$port")
  local pid_file=$state/registry.pid
  [ -f "$pid_file" ] || return 0
  local pid
  pid=$(cat "$pid_file")
  # Only the process we started, and only if it still is a docker-registry.
  if kill -0 "$pid" 2>/dev/null && grep -q "$TWOLITER_REGISTRY_BINARY" "/proc/$pid/cmdline" 2>/dev/null; then
    kill "$pid"
    local waited=0
    while kill -0 "$pid" 2>/dev/null && ((waited < 50)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$pid_file"
}
