#!/usr/bin/env bash
# Installs everything the end-to-end tests (test/e2e/*.e2e.mjs) need, using
# only the npm registry and Debian's apt repositories:
#   - Debian packages: chromium (driven by playwright-core), libkrb5-dev (lets
#     code-server's `kerberos` dependency build from source), ripgrep (stands in
#     for the ripgrep binary that @vscode/ripgrep would download from GitHub),
#     zsh (test/agent/shell-interpreters.test.ts runs the shell-injection corpus
#     under it; without it those tests are skipped).
#   - code-server (VS Code in a browser, with the real Node extension host) into
#     the git-ignored folder .cache/code-server of this repository.
# Idempotent: whatever is already installed and working is skipped.
set -euo pipefail

CODE_SERVER_VERSION="4.100.3"
# @vscode/ripgrep (as used by VS Code 1.100) looks for this file in its cache
# folder under $TMPDIR before it tries to download it.
RIPGREP_CACHE_DIR_NAME="vscode-ripgrep-cache-1.15.11"
RIPGREP_TARBALL="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
APT_PACKAGES=(chromium libkrb5-dev ripgrep zsh)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="$ROOT/.cache"
CS_DIR="$CACHE_DIR/code-server"
CS_BIN="$CS_DIR/node_modules/.bin/code-server"

log() { printf '[e2e-setup] %s\n' "$*"; }
die() { printf '[e2e-setup] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'rc=$?; if [ $rc -ne 0 ]; then printf "[e2e-setup] FAILED (exit %s)\n" "$rc" >&2; fi' EXIT

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot apt-get install ${APT_PACKAGES[*]}"
  SUDO=(sudo)
fi

# ---------------------------------------------------------------- apt packages
is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  is_installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  log "apt packages already installed: ${APT_PACKAGES[*]}"
else
  log "apt packages missing: ${missing[*]}"
  need_update=0
  for p in "${missing[@]}"; do
    cand="$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')"
    if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then need_update=1; fi
  done
  if [ $need_update -eq 1 ]; then
    log "apt-get update (the package lists do not know all of them yet)"
    "${SUDO[@]}" apt-get update
  else
    log "the apt package lists already know them; skipping apt-get update"
  fi
  log "apt-get install -y ${missing[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

for b in /usr/bin/chromium /usr/bin/rg /usr/bin/zsh; do
  [ -x "$b" ] || die "$b is missing after the apt install"
done

# ---------------------------------------------------------------- code-server
# code-server writes a default config.yaml under XDG_CONFIG_HOME even for
# --version: keep that inside .cache rather than in the user's home.
CHECK_ENV=(env "XDG_CONFIG_HOME=$CACHE_DIR/tmp/xdg-config" "XDG_DATA_HOME=$CACHE_DIR/tmp/xdg-data")

code_server_version() {
  [ -x "$CS_BIN" ] || return 1
  [ -d "$CS_DIR/node_modules/code-server/lib/vscode/node_modules" ] || return 1
  "${CHECK_ENV[@]}" "$CS_BIN" --version 2>/dev/null | grep -E '^[0-9]+\.[0-9]+\.[0-9]+' | head -n1
}

if v="$(code_server_version)" && [ -n "$v" ]; then
  log "code-server already installed and runs: $v"
  log "done"
  exit 0
fi

log "installing code-server@$CODE_SERVER_VERSION into .cache/code-server (about a minute with a warm npm cache, ~300 MB)"
mkdir -p "$CS_DIR"

# The TMPDIR the install uses, so that @vscode/ripgrep's postinstall finds the
# cache seeded here with Debian's rg and fetches nothing from GitHub.
export TMPDIR="$CACHE_DIR/tmp"
rg_cache="$TMPDIR/$RIPGREP_CACHE_DIR_NAME"
mkdir -p "$rg_cache"
if [ ! -s "$rg_cache/$RIPGREP_TARBALL" ]; then
  log "seeding the @vscode/ripgrep cache with /usr/bin/rg: .cache/tmp/$RIPGREP_CACHE_DIR_NAME/$RIPGREP_TARBALL"
  stage="$(mktemp -d)"
  cp /usr/bin/rg "$stage/rg"
  tar -czf "$rg_cache/$RIPGREP_TARBALL" -C "$stage" rg
  rm -rf "$stage"
else
  log "the @vscode/ripgrep cache is already seeded"
fi

# A package.json of its own keeps this install apart from the project above it
# and holds npm 11's install-script policy (allowScripts): code-server's
# postinstall (which runs `npm install` in lib/vscode, building node-pty,
# kerberos, ... and placing ripgrep) and argon2's install script must run.
log "writing .cache/code-server/package.json (allowScripts: code-server, argon2)"
cat >"$CS_DIR/package.json" <<JSON
{
  "name": "e2e-code-server",
  "private": true,
  "description": "Test tooling for the e2e tests, written by scripts/e2e-setup.sh",
  "dependencies": {
    "code-server": "$CODE_SERVER_VERSION"
  },
  "allowScripts": {
    "code-server": true,
    "argon2": true
  }
}
JSON

# node-pty's install runs `npx node-gyp`, which gives up when npm says yes=false.
export npm_config_yes=true
# As root, npm must not drop privileges for scripts (npm >= 9 ignores this and
# warns "Unknown env config"; kept for older npm).
export npm_config_unsafe_perm=true
# npm 11: install scripts not covered by allowScripts still run (with a notice)
# unless strict-allow-scripts is on. The nested `npm install` in lib/vscode has
# no allowScripts of its own, so make sure neither it nor this install is made
# strict or script-less by a user's or CI's npmrc.
export npm_config_strict_allow_scripts=false
export npm_config_ignore_scripts=false
export npm_config_fund=false
export npm_config_audit=false
export npm_config_update_notifier=false

start=$SECONDS
log "npm install --prefix .cache/code-server code-server@$CODE_SERVER_VERSION (TMPDIR=.cache/tmp)"
npm install --prefix "$CS_DIR" "code-server@$CODE_SERVER_VERSION"
log "npm install took $((SECONDS - start)) s"

[ -x "$CS_DIR/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ] \
  || die "code-server's postinstall did not run (no lib/vscode/node_modules/@vscode/ripgrep/bin/rg): were install scripts blocked?"
v="$(code_server_version)" && [ -n "$v" ] \
  || die "code-server does not run after the install: try .cache/code-server/node_modules/.bin/code-server --version"
log "code-server installed and runs: $v"
log "done"
