#!/usr/bin/env bash
# Runs Quartermaster's tests on a fresh Debian machine with only Go installed.
#
# The tests talk to real Redis servers that they start themselves on free
# loopback ports (store/redistest), so this script only makes sure the
# tools exist: redis-server for those servers and gcc for the race
# detector. Both come from Debian's packages. Extra arguments go to go test,
# e.g. deploy/scripts/test.sh -run TestDemo ./bot/...
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]} from Debian's packages" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v redis-server >/dev/null 2>&1 || { echo "test.sh: redis-server is still missing" >&2; exit 1; }

if [ $# -eq 0 ]; then
  set -- ./...
fi
go vet ./...
exec go test -race -count=1 "$@"
