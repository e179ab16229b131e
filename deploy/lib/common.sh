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

# private_pg_start DIR — a private PostgreSQL cluster in DIR on a free loopback port, as the
# postgres user when root (PostgreSQL refuses root), trust authentication for user citychain.
# Sets pg_port and pg_dir; private_pg_stop stops it. Used by the benches that need one.
private_pg_start() {
  pg_dir=$1
  local d
  private_pg_bin=""
  for d in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin $(command -v pg_ctl >/dev/null 2>&1 && dirname "$(command -v pg_ctl)"); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { private_pg_bin=$d; break; }
  done
  [ -n "$private_pg_bin" ] || die "no initdb/pg_ctl found (apt-get install postgresql)"
  mkdir -p "$pg_dir"
  if [ "$(id -u)" -eq 0 ]; then chmod 711 "$(dirname "$pg_dir")"; chown postgres "$pg_dir"; fi
  pg_tool initdb -D "$pg_dir/data" -A trust -U citychain > "$pg_dir.initdb.log" 2>&1 || { cat "$pg_dir.initdb.log"; die "initdb failed"; }
  local tries=0
  while :; do
    pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    pg_tool pg_ctl -D "$pg_dir/data" -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1" -l "$pg_dir/log" -w start > "$pg_dir.start.log" 2>&1 && break
    tries=$((tries + 1)); [ $tries -lt 5 ] || { cat "$pg_dir.start.log"; die "PostgreSQL did not start"; }
  done
}
# pg_tool TOOL ARGS… — a PostgreSQL server tool of private_pg_start's installation.
pg_tool() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$private_pg_bin/$1" "${@:2}"; else "$private_pg_bin/$1" "${@:2}"; fi
}
private_pg_stop() {
  [ -n "${pg_dir:-}" ] && [ -d "$pg_dir/data" ] || return 0
  pg_tool pg_ctl -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || pg_tool pg_ctl -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
}
