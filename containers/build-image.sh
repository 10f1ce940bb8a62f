#!/usr/bin/env bash
# Builds one sandbox image offline from Debian packages: mmdebstrap a minimal bookworm with the
# image's packages, bake in the static supervisor, record its toolchains' versions, podman import.
# Usage: build-image.sh IMAGE REF
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
# Each language of containers/LANG/languages.json has a "version": a shell command printing its
# toolchain's version on one line. They run in the new root (the last customize hook) and their lines
# become the image's label runner.versions, a JSON object {language id: version line}, which the node
# shows in GET /languages. A command that fails, or prints other than one line, fails the build.
cat >"$work/versions.py" <<'PY'
import json, subprocess, sys
root, languages, out = sys.argv[1:]
versions = {}
for entry in json.load(open(languages)):
    lang, command = entry["id"], entry.get("version")
    if not command:
        sys.exit(f"{languages}: language {lang} has no \"version\" command")
    env = ["/usr/bin/env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8"]
    run = subprocess.run(["chroot", root, *env, "/bin/sh", "-c", command], stdout=subprocess.PIPE, text=True)
    lines = run.stdout.splitlines()
    if run.returncode != 0 or len(lines) != 1 or not lines[0].strip():
        sys.exit(f"version of {lang}: `{command}` exited {run.returncode} and printed {run.stdout!r}, not one line")
    versions[lang] = lines[0].strip()
with open(out, "w") as f:
    json.dump(versions, f, separators=(",", ":"))
PY
hooks+=(--customize-hook="python3 '$work/versions.py' \"\$1\" '$here/$lang/languages.json' '$work/versions.json'")
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
# podman import takes a LABEL's value as the rest of its line, literally (no quotes or $ are
# processed): the compact JSON goes as it is, and is read back to be sure it arrived whole.
versions=$(cat "$work/versions.json")
podman import --change 'CMD ["/opt/runner/supervisor"]' --change 'WORKDIR /work' \
  --change "LABEL runner.versions=$versions" "$work/rootfs.tar" "$ref" >/dev/null
if [ "$(podman image inspect --format '{{index .Labels "runner.versions"}}' "$ref")" != "$versions" ]; then
  echo "build-image.sh: the label runner.versions of $ref does not read back as $versions" >&2
  exit 1
fi
