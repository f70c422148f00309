#!/usr/bin/env bash
# Usage: build_etcd_reader.sh SRC_DIR OUT_BINARY GOCACHE_DIR
#
# Builds interop/etcd_reader (a Go program on etcd 3.4's own wal package) the
# way Debian lays etcd out: GOPATH mode over /usr/share/gocode, where
# golang-etcd-server-dev puts go.etcd.io/etcd. Run by the ctest
# interop.etcd_reader_build, which the Go interop tests need (a fixture).
# Fails, saying what to install, when go or the etcd sources are missing
# (ci/setup installs golang-go and golang-etcd-server-dev).
set -euo pipefail

src=$1 out=$2 cache=$3
gopath=/usr/share/gocode

if ! command -v go >/dev/null 2>&1; then
  echo "build_etcd_reader: 'go' is not on PATH: install Debian's golang-go (ci/setup does)" >&2
  exit 1
fi
for pkg in go.etcd.io/etcd/wal go.etcd.io/etcd/wal/walpb go.etcd.io/etcd/raft/raftpb go.uber.org/zap; do
  if [[ ! -d $gopath/src/$pkg ]]; then
    echo "build_etcd_reader: $gopath/src/$pkg is missing: install Debian's golang-etcd-server-dev (ci/setup does)" >&2
    exit 1
  fi
done

mkdir -p "$cache" "$(dirname "$out")"
cd "$src"
echo "build_etcd_reader: $(go version); etcd from $gopath/src/go.etcd.io/etcd"
GO111MODULE=off GOPATH=$gopath GOFLAGS= GOCACHE=$cache GOTMPDIR= \
  go build -o "$out.new" .
mv -f "$out.new" "$out"
echo "build_etcd_reader: built $out"
