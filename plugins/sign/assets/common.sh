# Sourced by the plugin's container scripts: how they report a failure to twoliter.

error() { # kind exit-code detail...
  local kind=$1 code=$2
  shift 2
  echo "twoliter-error: $kind $*"
  exit "$code"
}

# The last lines of a tool's log, indented, for a failure; gpg and rpm never write a passphrase there.
show_log() {
  [ -s "$1" ] || return 0
  grep -v -e 'Could not set GPG_TTY' -e 'trustdb' -e 'marginals needed' -e 'depth: 0' "$1" | tail -n 15 | sed 's/^/    /' || true
}
