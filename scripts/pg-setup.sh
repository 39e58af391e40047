#!/usr/bin/env bash
# Installs the PostgreSQL server binaries the team-mode tests need (the store
# contract on PostgreSQL, several agents on one database), from Debian's
# `postgresql` package, when no initdb is found. Nothing is started here:
# each test file starts a throwaway cluster of its own
# (test/helpers/postgres.ts) and removes it at the end.
# Idempotent: with the binaries present it does nothing.
set -euo pipefail

log() { printf '[pg-setup] %s\n' "$*"; }

have_initdb() {
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1
}

if have_initdb; then
  log "PostgreSQL server binaries present"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    log "not root and no sudo: cannot install postgresql; the PostgreSQL tests will be skipped"
    exit 0
  fi
  SUDO=(sudo)
fi

log "installing Debian's postgresql package"
# A failed install does not stop CI: the PostgreSQL tests then skip, each
# printing why in a banner, and this says so first.
trap 'rc=$?; if [ $rc -ne 0 ]; then log "ERROR: could not install postgresql (exit $rc): the PostgreSQL tests will be SKIPPED"; fi; exit 0' EXIT
"${SUDO[@]}" apt-get update -qq
# Installing the package must not start a system cluster: the tests run their
# own. A policy-rc.d that answers 101 ("action forbidden") tells invoke-rc.d
# so for the length of this install; one that was already there is kept.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
  trap 'rc=$?; "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; if [ $rc -ne 0 ]; then log "ERROR: could not install postgresql (exit $rc): the PostgreSQL tests will be SKIPPED"; fi; exit 0' EXIT
fi
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
have_initdb || { log "ERROR: postgresql installed but initdb is not found" >&2; exit 1; }
log "installed: $(compgen -G '/usr/lib/postgresql/*/bin/initdb' | head -1)"
