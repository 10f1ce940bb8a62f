#!/usr/bin/env bash
# Builds one sandbox image offline from Debian packages: mmdebstrap a minimal bookworm with the
# language's packages, bake in the static supervisor, podman import. Usage: build-image.sh LANG REF
set -euo pipefail
lang=$1 ref=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -static -o "$work/supervisor" "$here/supervisor/supervisor.c"
# containers/LANG/harness, if any, goes to /opt/runner; containers/LANG/customize, if any, runs inside
# the new root (precompiling, caches).
hooks=()
[ -d "$here/$lang/harness" ] && hooks+=(--customize-hook="copy-in $(echo "$here/$lang/harness/"*) /opt/runner")
[ -f "$here/$lang/customize" ] && hooks+=(--customize-hook="chroot \"\$1\" /bin/sh -e < '$here/$lang/customize'")
packages=$(grep -v '^#' "$here/$lang/packages" | xargs | tr ' ' ',')
# containers/LANG/suite, if any, names another Debian release (Python 2 lives in bullseye).
suite=bookworm
[ -f "$here/$lang/suite" ] && suite=$(cat "$here/$lang/suite")
# man pages are left out, but update-alternatives (the JDK) wants their dir to exist.
mmdebstrap --variant=essential --include="$packages" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
  --customize-hook='mkdir -p "$1/opt/runner" "$1/opt/sv/chan" "$1/opt/sv/cgroup" "$1/work"' \
  --customize-hook='chmod 0700 "$1/opt/sv"' \
  --customize-hook="copy-in $work/supervisor /opt/runner" \
  "${hooks[@]}" \
  --customize-hook='chmod -R a+rX,go-w "$1/opt/runner"' \
  --customize-hook='echo "sandbox:x:1000:1000::/work:/usr/sbin/nologin" >> "$1/etc/passwd"; echo "sandbox:x:1000:" >> "$1/etc/group"' \
  "$suite" "$work/rootfs.tar" http://deb.debian.org/debian
podman import --change 'CMD ["/opt/runner/supervisor"]' --change 'WORKDIR /work' "$work/rootfs.tar" "$ref" >/dev/null
