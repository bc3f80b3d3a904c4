#!/usr/bin/env bash
# The package's documents say what the programs do (ctest entry package_docs):
#   - cmqd(8) lists every setting of `cmqd --help`, with the same default, and the
#     keys of an [account] section;
#   - /etc/cmq/cmqd.conf (packaging/cmqd.conf) lists every setting, at the default of
#     `cmqd --help` (data_dir, node_id, advertise and the key pair excepted: the
#     package sets the first, and the others have no literal default), and an
#     [account] example with every account key;
#   - cmqctl(1) lists every resource and verb of cmqctl's command table, and every
#     global flag of `cmqctl --help`;
#   - groff reads both pages without a warning.
#   tests/package/docs_test.sh CMQD CMQCTL
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
packaging=$(cd "$here/../../packaging" && pwd)
cmqd=$1
cmqctl=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# Prints "setting KEY = DEFAULT" and "account KEY" lines of `cmqd --help`: its entries
# are the lines that start with two spaces and a key; the left column ends at two spaces.
help_settings() {
  "$cmqd" --help | awk '
    /^Config file only/ { accounts = 1 }
    /^  [a-z_]+(,| =)/ {
      left = substr($0, 3)
      sub(/  .*/, "", left)
      if (accounts) { sub(/ =.*/, "", left); print "account " left; next }
      n = split(left, keys, ", ")
      for (i = 1; i <= n; i++) print "setting " keys[i]
    }'
}

# The same from a man page: the first line after .TP or .TQ, when it is ".B KEY...",
# in the SETTINGS and ACCOUNTS sections.
man_settings() {
  awk '
    /^\.SH / { section = $2; next }
    /^\.T[PQ]$/ { entry = 1; next }
    entry {
      entry = 0
      if ($0 !~ /^\.B [a-z_]/) next
      text = substr($0, 4)
      gsub(/\\-/, "-", text)
      if (section == "SETTINGS") print "setting " text
      if (section == "ACCOUNTS") { sub(/ =.*/, "", text); print "account " text }
    }' "$packaging/man/cmqd.8"
}

# The same from cmqd.conf: "#KEY = VALUE" or "KEY = VALUE" lines; account keys after
# the "#[account]" line.
conf_settings() {
  awk '
    /^#\[account\]$/ { accounts = 1; next }
    /^#?[a-z_]+ =/ {
      line = $0
      sub(/^#/, "", line)
      sub(/ *$/, "", line)
      if (accounts) { sub(/ =.*/, "", line); print "account " line; next }
      print "setting " line
    }' "$packaging/cmqd.conf"
}

# Keys whose default cmqd.conf does not repeat, compared by name only.
by_name() {
  sed -E 's/^setting (data_dir|node_id|advertise|secret_id|secret_key)( =.*)?$/setting \1/'
}

# Reports the difference between two sorted lists, named $1 and $3.
compare() {  # name_a file_a name_b file_b
  if ! diff <(sort "$2") <(sort "$4") >"$work/diff"; then
    echo "FAILED: $1 and $3 differ (< only in $1, > only in $3):"
    sed 's/^/  /' "$work/diff"
    failures=$((failures + 1))
  fi
}

help_settings >"$work/help"
man_settings >"$work/man"
compare "cmqd --help" "$work/help" "cmqd.8" "$work/man"
by_name <"$work/help" >"$work/help-by-name"
conf_settings | by_name >"$work/conf"
compare "cmqd --help" "$work/help-by-name" "cmqd.conf" "$work/conf"
grep -qx 'data_dir = /var/lib/cmq' "$packaging/cmqd.conf" || {
  echo "FAILED: cmqd.conf does not set data_dir = /var/lib/cmq (the unit's StateDirectory)"
  failures=$((failures + 1))
}

# cmqctl: "RESOURCE VERB" of the command table, through its help texts.
"$cmqctl" --help | awk '/^Resources:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' \
  >"$work/resources"
while read -r resource; do
  "$cmqctl" "$resource" --help |
    awk -v r="$resource" '/^  / && $1 == "cmqctl" && $2 == r { print r " " $3 }'
done <"$work/resources" >"$work/verbs"
awk '
  /^\.SH / { section = $2; next }
  /^\.TP$/ { entry = 1; next }
  entry {
    entry = 0
    if (section == "COMMANDS" && /^\.B /) { sub(/^\.B /, ""); gsub(/\\-/, "-"); print }
  }
' "$packaging/man/cmqctl.1" >"$work/man-verbs"
compare "cmqctl's command table" "$work/verbs" "cmqctl.1" "$work/man-verbs"
if [[ ! -s "$work/verbs" ]]; then
  echo "FAILED: no verbs read from cmqctl --help"
  failures=$((failures + 1))
fi

# Global flags: "--name" of the help's "Global flags" list, and --version.
# shellcheck disable=SC2016  # an awk program, not shell
first_long_flag='{ for (i = 1; i <= NF; i++) if ($i ~ /^--[a-z]/) { print $i; next } }'
{
  "$cmqctl" --help | awk '/^Global flags/ { on = 1; next } on && /^$/ { exit } on' |
    awk "$first_long_flag"
  echo "--version"
} >"$work/flags"
awk '
  /^\.SH / { section = $2 " " $3; next }
  /^\.TP$/ { entry = 1; next }
  entry { entry = 0; if (section == "GLOBAL FLAGS") { gsub(/\\-/, "-"); print } }
' "$packaging/man/cmqctl.1" | awk "$first_long_flag" >"$work/man-flags"
compare "cmqctl --help" "$work/flags" "cmqctl.1" "$work/man-flags"

for page in "$packaging/man/cmqd.8" "$packaging/man/cmqctl.1"; do
  warnings=$(groff -man -ww -z "$page" 2>&1)
  if [[ -n "$warnings" ]]; then
    echo "FAILED: groff warns about ${page##*/}:"
    sed 's/^/  /' <<<"$warnings"
    failures=$((failures + 1))
  fi
done

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "package documents: all checks passed"
