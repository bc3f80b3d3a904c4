#!/usr/bin/env bash
# The Debian package as an administrator gets it (ctest entry `package`, label package):
#   1. cpack makes the .deb from the optimised build (no rebuild: the package step
#      reuses what the build made);
#   2. its control data: Depends found by dpkg-shlibdeps plus adduser, the conffile,
#      the maintainer scripts;
#   3. dpkg installs it into a fresh directory tree (dpkg --root; the maintainer
#      scripts run without chroot, with DPKG_ROOT set, and leave the host alone), its
#      Depends checked against this machine's packages, on whose libraries the
#      installed programs run; the files are where the unit and cmqd.conf expect them;
#   4. the installed cmqd starts from the tree on cmqd.conf with every setting
#      uncommented (so every line of it is a valid setting), with its data directory
#      in the tree and a free port, and answers requests signed by the installed
#      cmqctl (create a queue, send, receive); SIGTERM stops it with status 0;
#   5. the installed bash completion offers cmqctl's resources;
#   6. systemd-analyze verify accepts the unit, and its security exposure stays at
#      most 2.0 (both skipped where systemd-analyze is missing);
#   7. as root, steps 3 to 5 once more as the user nobody: dpkg --root needs no root;
#   8. as root, where mount namespaces work: `dpkg -i` onto this machine seen through
#      overlays that vanish afterwards, so the real maintainer scripts run (user cmq,
#      ownerships, enabling the service), the installed cmqd runs as cmq on the
#      installed cmqd.conf, and `dpkg --purge` cleans up.
#   tests/package/package_test.sh BUILD_DIR
# (The same script runs step 3 to 5 alone with: --install-and-run DEB DIR.)
set -euo pipefail
script=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
export PATH="$PATH:/usr/sbin:/sbin"  # dpkg wants ldconfig and start-stop-daemon in PATH

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# Runs the command "$@", a cmqd listening on 127.0.0.1:0 with its data in DATA_DIR,
# has CMQCTL create a queue, send and receive a message through it, signed with the
# key pair cmqd generated, and stops it with SIGTERM, which must end it with status 0.
# cmqd's standard error goes to LOG_DIR/cmqd.err.
exchange_message() {  # LOG_DIR DATA_DIR CMQCTL COMMAND...
  local logs=$1 data=$2 cmqctl=$3
  shift 3
  local out pid port="" line
  exec {out}< <(exec "$@" 2>"$logs/cmqd.err")
  pid=$!
  # Its first lines: the generated key pair, then "listening on" (or nothing, on exit).
  while read -r -u "$out" line; do
    if [[ "$line" =~ listening\ on\ http://127\.0\.0\.1:([0-9]+) ]]; then
      port=${BASH_REMATCH[1]}
      break
    fi
  done
  [[ -n "$port" ]] || { cat "$logs/cmqd.err"; fail "cmqd did not start: $*"; }
  cat <&"$out" >/dev/null &  # keeps reading its standard output until it exits
  exec {out}<&-

  local id key
  id=$(sed -n 's/^secret_id=//p' "$data/credentials")
  key=$(sed -n 's/^secret_key=//p' "$data/credentials")
  [[ -n "$id" && -n "$key" ]] || fail "no generated key pair in $data/credentials"
  signed() {
    env CMQ_ENDPOINT="http://127.0.0.1:$port" CMQ_SECRET_ID="$id" CMQ_SECRET_KEY="$key" \
      CMQ_PROFILE_FILE="$logs/profiles" "$cmqctl" "$@"
  }
  signed queue create packaged >/dev/null || fail "cmqctl queue create"
  signed msg send packaged "sent through the installed package" >/dev/null || fail "cmqctl msg send"
  local received
  received=$(signed msg receive packaged --delete --json) || fail "cmqctl msg receive"
  [[ "$received" == *'"sent through the installed package"'* ]] ||
    fail "cmqctl msg receive printed: $received"
  kill -TERM "$pid"
  local status=0
  wait "$pid" || status=$?
  ((status == 0)) || { cat "$logs/cmqd.err"; fail "cmqd exited $status on SIGTERM"; }
}

# Installs DEB into the new directory tree DIR and runs what it installed.
install_and_run() {
  local deb=$1 root=$2
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
  # The tree's package database holds this machine's entries of the packages cmq
  # depends on, so that dpkg checks the Depends against their versions.
  local wanted
  wanted=$(dpkg-deb -f "$deb" Depends | tr ',|' '\n' | sed -E 's/\(.*//; s/ //g' | sort -u)
  awk -v wanted="$wanted" '
    BEGIN {
      RS = ""  # one stanza per record
      ORS = "\n\n"
      n = split(wanted, names, "\n")
      for (i = 1; i <= n; i++) want[names[i]] = 1
    }
    match($0, /(^|\n)Package: [^\n]+/) {
      name = substr($0, RSTART, RLENGTH)
      sub(/.*Package: /, "", name)
      if (name in want) print
    }' /var/lib/dpkg/status >"$root/var/lib/dpkg/status"
  touch "$root/var/lib/dpkg/available"
  local force=(--force-script-chrootless)
  ((EUID == 0)) || force+=(--force-not-root)
  dpkg --root="$root" "${force[@]}" --log=/dev/null -i "$deb" >"$root/dpkg.log" 2>&1 ||
    { cat "$root/dpkg.log"; fail "dpkg -i into $root"; }
  [[ "$(dpkg --root="$root" -s cmq | sed -n 's/^Status: //p')" == "install ok installed" ]] ||
    fail "dpkg does not list cmq as installed in $root"
  grep -q "no user made, no service enabled or started" "$root/dpkg.log" ||
    { cat "$root/dpkg.log"; fail "the postinst did not run, or not as for a directory tree"; }

  local f
  for f in usr/sbin/cmqd usr/bin/cmqctl usr/bin/cmq-bench; do
    [[ -x "$root/$f" ]] || fail "$f is not installed, or not executable"
  done
  for f in lib/systemd/system/cmqd.service etc/cmq/cmqd.conf usr/include/cmq/cmq.h \
    usr/lib/libcmq.a usr/lib/pkgconfig/cmq.pc usr/lib/cmake/cmq/cmqConfig.cmake \
    usr/share/man/man8/cmqd.8.gz usr/share/man/man1/cmqctl.1.gz \
    usr/share/bash-completion/completions/cmqctl; do
    [[ -f "$root/$f" ]] || fail "$f is not installed"
  done
  [[ -d "$root/var/lib/cmq" ]] || fail "the data directory /var/lib/cmq is not installed"
  # libcmq's pkg-config file finds the headers where the package put them.
  local include
  include=$(PKG_CONFIG_PATH="$root/usr/lib/pkgconfig" pkg-config --cflags-only-I cmq) ||
    fail "pkg-config cannot read the installed cmq.pc"
  include=${include#-I}
  include=${include%% *}
  [[ -f "$include/cmq/cmq.h" ]] || fail "cmq.pc names $include, which has no cmq/cmq.h"
  # What the unit names must be what the package installed.
  local unit="$root/lib/systemd/system/cmqd.service"
  grep -qx 'ExecStart=/usr/sbin/cmqd --config /etc/cmq/cmqd.conf' "$unit" ||
    fail "the unit does not start /usr/sbin/cmqd on /etc/cmq/cmqd.conf"
  grep -qx 'StateDirectory=cmq' "$unit" ||
    fail "the unit's StateDirectory is not cmq (/var/lib/cmq)"
  grep -qx 'data_dir = /var/lib/cmq' "$root/etc/cmq/cmqd.conf" ||
    fail "cmqd.conf does not set data_dir = /var/lib/cmq"
  [[ "$(stat -c %a "$root/etc/cmq/cmqd.conf")" == 640 ]] ||
    fail "cmqd.conf is not mode 0640 (it may hold secret keys)"

  # cmqd.conf with every setting uncommented: each line is a valid setting.
  sed -E 's/^#([a-z_]+ =|\[account\])/\1/' "$root/etc/cmq/cmqd.conf" >"$root/all-settings.conf"
  exchange_message "$root" "$root/var/lib/cmq" "$root/usr/bin/cmqctl" \
    "$root/usr/sbin/cmqd" --config "$root/all-settings.conf" --data-dir "$root/var/lib/cmq" \
    --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0

  # The completion, as bash runs it: the installed script calls the installed cmqctl.
  local offered
  offered=$(PATH="$root/usr/bin:$PATH" bash -c '
    source "$1/usr/share/bash-completion/completions/cmqctl"
    COMP_WORDS=(cmqctl q); COMP_CWORD=1; _cmqctl; echo "${COMPREPLY[*]}"
    COMP_WORDS=(cmqctl msg rec); COMP_CWORD=2; _cmqctl; echo "${COMPREPLY[*]}"' _ "$root")
  [[ "$offered" == $'queue\nreceive' ]] || fail "bash completion offered: $offered"
  echo "installed into $root and answered as $(id -un)"
}

# Inside a private mount namespace (unshare --mount): installs DEB onto this machine as
# an administrator would, `dpkg -i`, with its real maintainer scripts, but onto
# overlays of /etc, /usr and /var (and /lib) whose changes go to WORK and vanish with
# the namespace; nothing reaches the host. /run/systemd is hidden, as on a machine
# without systemd. Checks what the scripts did, runs the installed cmqd as the user
# cmq on the installed cmqd.conf (data_dir /var/lib/cmq), and purges the package.
install_on_overlays() {
  local deb=$1 work=$2 dir
  local dirs=(etc usr var)
  [[ -L /lib ]] || dirs+=(lib)  # /lib is /usr/lib only on a merged-/usr system
  for dir in "${dirs[@]}"; do
    mkdir -p "$work/upper/$dir" "$work/scratch/$dir"
    mount -t overlay "overlay-$dir" \
      -o "lowerdir=/$dir,upperdir=$work/upper/$dir,workdir=$work/scratch/$dir" "/$dir"
  done
  # Nothing dpkg or the scripts write may reach the host: every top directory of the
  # package must now be on an overlay (findmnt follows /lib -> usr/lib).
  for dir in $(dpkg-deb -c "$deb" | awk '{ print $6 }' | cut -d/ -f2 | sort -u) etc var; do
    [[ "$(findmnt -n -o FSTYPE --target "/$dir")" == overlay ]] ||
      fail "/$dir is not on an overlay; not installing"
  done
  if [[ -d /run/systemd ]]; then mount -t tmpfs none /run/systemd; fi

  # --no-triggers: other packages' triggers (man-db's index of the new man pages,
  # 9 s) are no part of cmq's installation.
  dpkg --log=/dev/null --no-triggers -i "$deb" >"$work/dpkg.log" 2>&1 ||
    { cat "$work/dpkg.log"; fail "dpkg -i onto the overlays"; }
  local user
  user=$(getent passwd cmq) || fail "the postinst made no user cmq"
  [[ "$user" == cmq:x:*:*:*:/var/lib/cmq:/usr/sbin/nologin ]] || fail "user cmq: $user"
  [[ "$(stat -c '%U:%G %a' /var/lib/cmq)" == "cmq:cmq 750" ]] ||
    fail "/var/lib/cmq is $(stat -c '%U:%G %a' /var/lib/cmq), not cmq:cmq 750"
  [[ "$(stat -c '%U:%G %a' /etc/cmq/cmqd.conf)" == "root:cmq 640" ]] ||
    fail "cmqd.conf is $(stat -c '%U:%G %a' /etc/cmq/cmqd.conf), not root:cmq 640"
  [[ -L /etc/systemd/system/multi-user.target.wants/cmqd.service ]] ||
    fail "cmqd.service is not enabled"

  # As the service runs it: the user cmq, on the installed cmqd.conf.
  exchange_message "$work" /var/lib/cmq /usr/bin/cmqctl \
    setpriv --reuid=cmq --regid=cmq --init-groups /usr/sbin/cmqd --config /etc/cmq/cmqd.conf \
    --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0

  dpkg --log=/dev/null --no-triggers --purge cmq >"$work/purge.log" 2>&1 ||
    { cat "$work/purge.log"; fail "dpkg --purge"; }
  [[ ! -e /etc/systemd/system/multi-user.target.wants/cmqd.service ]] ||
    fail "purging left cmqd.service enabled"
  ! dpkg-statoverride --list | grep -q -e /var/lib/cmq -e /etc/cmq ||
    fail "purging left the statoverrides: $(dpkg-statoverride --list)"
  [[ -f /var/lib/cmq/credentials ]] || fail "purging deleted the data in /var/lib/cmq"
  echo "installed with dpkg -i (overlays of /etc, /usr, /var), answered as cmq, purged"
}

if [[ "${1:-}" == --install-and-run ]]; then
  install_and_run "$2" "$3"
  exit 0
fi
if [[ "${1:-}" == --install-on-overlays ]]; then
  install_on_overlays "$2" "$3"
  exit 0
fi

build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
started=$SECONDS

cpack --config "$build/CPackConfig.cmake" -B "$work/cpack" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack"; }
debs=("$work"/cpack/*.deb)
if ((${#debs[@]} != 1)) || [[ ! -f "${debs[0]}" ]]; then
  fail "cpack made no single .deb: ${debs[*]}"
fi
deb=${debs[0]}
echo "made ${deb##*/} ($(du -k "$deb" | cut -f1) KiB) in $((SECONDS - started)) s"

depends=$(dpkg-deb -f "$deb" Depends)
for needed in adduser libc6 libssl3 libpq5 libstdc++6; do
  [[ "$depends" =~ (^|, )"$needed"( |,|$) ]] || fail "Depends lacks $needed: $depends"
done
dpkg-deb -e "$deb" "$work/control"
[[ "$(cat "$work/control/conffiles")" == /etc/cmq/cmqd.conf ]] ||
  fail "conffiles: $(cat "$work/control/conffiles")"
for s in postinst prerm postrm; do
  [[ -x "$work/control/$s" ]] || fail "the package has no executable $s"
done

install_and_run "$deb" "$work/tree"

if command -v systemd-analyze >/dev/null; then
  # The installed unit, its ExecStart pointed into the tree (verify checks that the
  # program exists) and man looking there for the Documentation= page; the rest
  # (sysinit.target, ...) from this machine's systemd.
  sed "s|^ExecStart=/usr/sbin/cmqd |ExecStart=$work/tree/usr/sbin/cmqd |" \
    "$work/tree/lib/systemd/system/cmqd.service" >"$work/cmqd.service"
  MANPATH="$work/tree/usr/share/man" systemd-analyze verify "$work/cmqd.service" \
    >"$work/verify.log" 2>&1 || { cat "$work/verify.log"; fail "systemd-analyze verify"; }
  [[ ! -s "$work/verify.log" ]] || { cat "$work/verify.log"; fail "systemd-analyze verify warns"; }
  # The hardening stays: systemd's exposure score (0 best, 10 worst) is 1.4 today;
  # above 2.0 (e.g. without ProtectSystem, NoNewPrivileges and the empty capability
  # set: 3.5) fails.
  systemd-analyze security --offline=yes --threshold=20 "$work/cmqd.service" \
    >"$work/security.log" 2>&1 ||
    { cat "$work/security.log"; fail "the unit's exposure is above 2.0"; }
  grep -oE 'Overall exposure level for [^:]+: [0-9.]+' "$work/security.log"
else
  echo "skipped systemd-analyze verify: not installed"
fi

if ((EUID == 0)) && command -v setpriv >/dev/null; then
  mkdir "$work/nobody"
  cp "$deb" "$script" "$work/nobody/"
  chown -R nobody:nogroup "$work/nobody"
  setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env HOME=/nonexistent bash "$work/nobody/${script##*/}" --install-and-run \
    "$work/nobody/${deb##*/}" "$work/nobody/tree" || fail "the installation as the user nobody"
fi
# A real installation, where root may mount overlays in a namespace of its own.
if ((EUID == 0)) && unshare --mount --propagation private \
  mount -t tmpfs none "$work" 2>/dev/null; then
  mkdir "$work/system"
  unshare --mount --propagation private \
    bash "$script" --install-on-overlays "$deb" "$work/system" ||
    fail "the installation with dpkg -i (on overlays)"
else
  echo "skipped dpkg -i on overlays: needs root and mount namespaces"
fi
echo "package: all checks passed in $((SECONDS - started)) s"
