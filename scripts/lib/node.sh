# Sourced by the other scripts: makes sure a Node.js >= 22.22 is first on PATH. When the host's node is
# older (or missing), a private Node 22 is installed from the npm registry into .tools/node, once.
TWOLITER_REPO=${TWOLITER_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TWOLITER_MIN_NODE=22.22.0

node_is_recent_enough() {
  command -v node >/dev/null 2>&1 || return 1
  node -e '
    const [a, b, c] = process.versions.node.split(".").map(Number)
    const [x, y, z] = process.argv[1].split(".").map(Number)
    process.exit(a > x || (a === x && (b > y || (b === y && c >= z))) ? 0 : 1)
  ' "$TWOLITER_MIN_NODE"
}

use_recent_node() {
  local private="$TWOLITER_REPO/.tools/node"
  if [ -x "$private/node_modules/.bin/node" ]; then
    export PATH="$private/node_modules/.bin:$PATH"
  fi
  if node_is_recent_enough; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "twoliter needs Node.js >= $TWOLITER_MIN_NODE and found neither a recent node nor npm to install one." >&2
    echo "Install Node.js 22 LTS (https://nodejs.org) and run this script again." >&2
    return 1
  fi
  echo "Host node $(node --version 2>/dev/null || echo missing) is older than $TWOLITER_MIN_NODE: installing a private Node 22 into .tools/node" >&2
  mkdir -p "$private"
  npm install --prefix "$private" --no-audit --no-fund --loglevel=error node@22 >&2
  export PATH="$private/node_modules/.bin:$PATH"
  node_is_recent_enough || { echo "the private Node install did not give a Node >= $TWOLITER_MIN_NODE" >&2; return 1; }
}
