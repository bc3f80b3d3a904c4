#!/usr/bin/env bash
# Installs the Debian packages cmq needs (see DEPENDENCIES.md), only those missing;
# does nothing when everything is installed.
#   scripts/install-deps.sh               build and run: compiler, CMake, Ninja, OpenSSL,
#                                         libpq
#   scripts/install-deps.sh --test        also GoogleTest, PostgreSQL 15 and Prometheus
#                                         (promtool), for the tests
#   scripts/install-deps.sh --test --fuzz also clang, for the libFuzzer targets
#   scripts/install-deps.sh --cluster     also PostgreSQL 15, Patroni and etcd, for the
#                                         local cluster of scripts/cluster.sh and its
#                                         failover test
#   scripts/install-deps.sh --package     also dpkg-dev and groff-base, to make the
#                                         Debian package (cpack) and test its man pages
#   scripts/install-deps.sh --browser     also Chromium, its WebDriver and Selenium,
#                                         for the web console's browser test
# As root it runs apt-get, otherwise sudo apt-get. Where neither works (no sudo, or
# sudo refuses) it prints the apt-get command to run as root and exits 1.
set -euo pipefail

packages=(g++ cmake ninja-build pkg-config libssl-dev libpq-dev)
for option in "$@"; do
  case "$option" in
    --test) packages+=(libgtest-dev libgmock-dev postgresql-15 prometheus) ;;
    --fuzz) packages+=(clang libclang-rt-dev) ;;
    --cluster) packages+=(postgresql-15 patroni python3-etcd etcd-server) ;;
    --package) packages+=(dpkg-dev groff-base) ;;
    --browser) packages+=(chromium chromium-driver python3-selenium) ;;
    *) echo "install-deps.sh: unknown option $option (known: --test, --fuzz, --cluster, --package, --browser)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  [[ " ${missing[*]} " == *" $p "* ]] && continue  # asked for by two options
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || status=""
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

ask_root() {
  echo "cmq needs Debian packages that are not installed: ${missing[*]}" >&2
  echo "$1 Run this as root, then start again:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
}

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  ask_root "You are not root and there is no sudo to install them with."
fi
echo "Installing: ${missing[*]}"
# sudo does not pass the environment on; env sets it for apt-get itself.
apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
if ! "${apt[@]}" update -qq || ! "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"; then
  ask_root "Installing them failed (output above)."
fi
