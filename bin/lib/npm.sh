# Sourced by bin/ scripts. npm_ci_when_stale DIR LABEL: `npm ci` in DIR (which has a package-lock.json) when its
# node_modules is missing or older than the lock file; LABEL prefixes the message.
npm_ci_when_stale() {
  local dir=$1 label=$2
  local stamp="$dir/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
    echo "$label: npm ci in $dir ..." >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}
