#!/usr/bin/env bash
# The keys of `make up`: a random JWT secret and a separate media-URL key, made on the first start into an env
# file readable by its owner only (mode 0600) and reused after, so sessions survive a restart. Nothing in the
# source ever signs a token. Usage: scripts/dev-secrets.sh [FILE] (default .data/secrets.env).
set -euo pipefail
file=${1:-.data/secrets.env}
mkdir -p "$(dirname "$file")"
umask 077
if ! grep -q '^PARLEY_JWT_SECRET=.\{32,\}$' "$file" 2>/dev/null || ! grep -q '^PARLEY_MEDIA_URL_KEY=.\{32,\}$' "$file"; then
  random() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
  tmp=$(mktemp "$file.XXXXXX")
  printf 'PARLEY_JWT_SECRET=%s\nPARLEY_MEDIA_URL_KEY=%s\n' "$(random)" "$(random)" >"$tmp"
  mv "$tmp" "$file"
  echo "made new secrets in $file"
fi
chmod 600 "$file"
