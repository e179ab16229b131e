# Shared helpers for deploy/ scripts. Sourced, not run.
# Every script installs what it needs itself: nothing installed by hand survives to CI.

cc_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# need_packages CMD:PKG ... — installs the Debian package PKG when CMD is missing.
need_packages() {
  local missing=()
  for pair in "$@"; do
    local cmd=${pair%%:*} pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
  step "installing ${missing[*]} (apt)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/tmp/citychain-apt.log 2>&1; then
    apt-get update -q >>/tmp/citychain-apt.log 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>/tmp/citychain-apt.log 2>&1 \
      || die "apt-get install ${missing[*]} failed; see /tmp/citychain-apt.log"
  fi
}

# need_swift — the Swift toolchain ships with this machine kind under /opt/swift.
need_swift() {
  if ! command -v swift >/dev/null 2>&1; then
    for d in /opt/swift/usr/bin /opt/swift/bin; do [ -x "$d/swift" ] && export PATH="$d:$PATH"; done
  fi
  command -v swift >/dev/null 2>&1 || die "swift not found; this project needs Swift 6.1 or later on PATH"
}
