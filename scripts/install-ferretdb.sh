#!/usr/bin/env bash
# Builds FerretDB (pinned) into bin/ from the Go module proxy.
#
# A plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@VERSION` produces a binary that panics at start:
# FerretDB embeds build/version/version.txt, which only its release tooling generates. So we fetch the very same
# pinned module through the proxy, add that one file, apply the small fixes in scripts/ferretdb-patches/ (each
# says what it fixes and why), and build the command from it. The stamp names the patches, so changing one rebuilds.
set -euo pipefail
VERSION="${FERRETDB_VERSION:-v1.24.2}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/bin/ferretdb"
PATCHES="$ROOT/scripts/ferretdb-patches"
STAMP="$ROOT/bin/.ferretdb-$VERSION-$(cat "$PATCHES"/*.patch | sha1sum | cut -c1-12)"

if [[ -x "$BIN" && -f "$STAMP" ]]; then
  exit 0
fi
export GOFLAGS=-buildvcs=false
echo "installing FerretDB $VERSION (go build, first time only)..."
src="$(cd "$(mktemp -d)" && go mod download -json "github.com/FerretDB/FerretDB@$VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
[[ -d "$src" ]] || { echo "could not download FerretDB $VERSION" >&2; exit 1; }
work="$(mktemp -d)"
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
chmod -R u+w "$work"
echo "$VERSION" > "$work/build/version/version.txt"
echo "parley" > "$work/build/version/package.txt"
for patch in "$PATCHES"/*.patch; do
  (cd "$work" && git apply -p1 "$patch")
done
mkdir -p "$ROOT/bin"
(cd "$work" && go build -trimpath -o "$BIN" ./cmd/ferretdb)
rm -f "$ROOT"/bin/.ferretdb-*
touch "$STAMP"
# Print the version line only; sed reads the whole output, so FerretDB never writes into a closed pipe
# (with pipefail, `| head -1` made the script fail with SIGPIPE whenever head exited first).
"$BIN" --version | sed -n 1p
