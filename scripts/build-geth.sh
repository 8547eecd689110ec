#!/usr/bin/env bash
# Builds the client of the local network (docs/network.md): go-ethereum v1.13.14, the
# last release with Clique proof of authority, from the Go module proxy, once per
# machine, into the Go build cache: "$(go env GOCACHE)/ballot-ledger/geth-v1.13.14/geth".
# Prints the binary's path. Needs Go 1.21 or later on PATH (GOTOOLCHAIN fetches Go
# 1.21.13, which builds geth 1.13.14; Go 1.23 and later fail to link its memsize dependency).
set -euo pipefail
GETH_VERSION=v1.13.14
GO_TOOLCHAIN=go1.21.13
command -v go >/dev/null || { echo "build-geth: go is not on PATH (install Go 1.21 or later)" >&2; exit 2; }
cache="$(go env GOCACHE)/ballot-ledger/geth-$GETH_VERSION"
binary="$cache/geth"
if [ -x "$binary" ] && "$binary" version 2>/dev/null | grep -q "^Version: ${GETH_VERSION#v}-stable"; then
  echo "$binary"
  exit 0
fi
echo "build-geth: building go-ethereum $GETH_VERSION with $GO_TOOLCHAIN (a few minutes, once)" >&2
mkdir -p "$cache/work"
# A folder without go.mod: `go install module@version` builds with the module's own go.mod.
(cd "$cache/work" && GOTOOLCHAIN="$GO_TOOLCHAIN" GOFLAGS=-mod=mod GOBIN="$cache/work/bin" \
  go install "github.com/ethereum/go-ethereum/cmd/geth@$GETH_VERSION")
mv "$cache/work/bin/geth" "$binary"
"$binary" version | grep -q "^Version: ${GETH_VERSION#v}-stable"
echo "$binary"
