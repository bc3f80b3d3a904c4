#!/usr/bin/env bash
# scripts/install-deps.sh with a package missing, as a user who is not root:
#   - without sudo, and with a sudo that refuses: it names the packages, prints the
#     apt-get command to run as root and exits 1 (never a bare "permission denied");
#   - with a sudo that works: it installs exactly the missing packages through it.
# The user is nobody (setpriv); the PATH has the system's programs except sudo,
# dpkg-query and apt-get, which are stand-ins: a dpkg-query that reports every package
# missing, and sudo and apt-get as each case needs. Needs root to switch users; exits
# 77 (skipped) otherwise.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
if ((EUID != 0)) || ! command -v setpriv >/dev/null; then
  echo "skipped: needs root and setpriv to run as another user"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
cp "$repo/scripts/install-deps.sh" "$work/"
mkdir "$work/bin"
for program in /usr/bin/*; do
  case "${program##*/}" in
    sudo | dpkg-query | apt-get) ;;
    *) ln -s "$program" "$work/bin/" ;;
  esac
done
printf '#!/bin/sh\nexit 1\n' >"$work/bin/dpkg-query"
chmod 755 "$work/bin/dpkg-query" "$work/install-deps.sh"
failures=0

# Runs install-deps.sh --test as nobody with PATH=$work/bin; sets out and status.
run_as_nobody() {
  status=0
  out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env -i PATH="$work/bin" HOME=/nonexistent /bin/bash "$work/install-deps.sh" --test 2>&1) ||
    status=$?
}
expect() {  # description, condition...
  local what=$1
  shift
  if ! "$@"; then
    echo "FAILED: $what"
    echo "$out" | sed 's/^/  | /'
    failures=$((failures + 1))
  fi
}
contains() { [[ "$out" == *"$1"* ]]; }
wanted="g++ cmake ninja-build pkg-config libssl-dev libpq-dev libgtest-dev libgmock-dev"
wanted+=" postgresql-15 prometheus"
command="apt-get update && apt-get install -y --no-install-recommends $wanted"

run_as_nobody
expect "no sudo: exit 1" test "$status" -eq 1
expect "no sudo: names the missing packages" contains "not installed: $wanted"
expect "no sudo: says why" contains "no sudo"
expect "no sudo: prints the command to run as root" contains "as root"
expect "no sudo: the exact apt-get command" contains "  $command"

printf '#!/bin/sh\necho "sudo: a password is required" >&2\nexit 1\n' >"$work/bin/sudo"
chmod 755 "$work/bin/sudo"
run_as_nobody
expect "sudo refuses: exit 1" test "$status" -eq 1
expect "sudo refuses: shows sudo's own message" contains "a password is required"
expect "sudo refuses: the exact apt-get command" contains "  $command"

# A sudo that runs the command as it is (as nobody), and an apt-get that only notes
# how it was called.
printf '#!/bin/sh\nexec "$@"\n' >"$work/bin/sudo"
printf '#!/bin/sh\necho "apt-get $* (DEBIAN_FRONTEND=$DEBIAN_FRONTEND)"\n' >"$work/bin/apt-get"
chmod 755 "$work/bin/sudo" "$work/bin/apt-get"
run_as_nobody
expect "with sudo: exit 0" test "$status" -eq 0
expect "with sudo: apt-get update" contains "apt-get update -qq (DEBIAN_FRONTEND=noninteractive)"
expect "with sudo: installs the missing packages" \
  contains "apt-get install -y -qq --no-install-recommends $wanted (DEBIAN_FRONTEND=noninteractive)"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "install-deps.sh without root: all checks passed"
