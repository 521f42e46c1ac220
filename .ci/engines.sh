#!/usr/bin/env bash
# Fetch and unpack the modern Docker Engines the engine tests can run against,
# from Debian's own newer suites, through the ordinary package registry:
#
#   26.1.5  Debian 13 (trixie)  docker.io 26.1.5+dfsg1-9+deb13u1+b1 (pinned when
#                               the suite still has it, else its newest 26.1.5)
#   28.5.2  Debian sid          docker.io 28.5.2+dfsg*-* (any Debian revision)
#
# Packages are downloaded and unpacked, never installed (installing would pull
# in a newer libc). Per engine, under DIR (DOCKERMODEL_ENGINES_DIR, default
# /opt/dockermodel-engines):
#
#   DIR/apt/<suite>/        a private apt configuration (sources.list, lists, cache);
#                           the machine's own sources stay untouched
#   DIR/<version>/debs/     the downloaded .deb files
#   DIR/<version>/root/     dpkg-deb -x of docker.io, containerd, tini
#   DIR/<version>/bin/      dockerd, docker-proxy, containerd,
#                           containerd-shim-runc-v2, docker-init -> tini-static,
#                           runc -> /usr/sbin/runc (the suites' own runc needs a
#                           newer glibc); tests/enginekit.py puts it first on the
#                           PATH of that dockerd only
#   DIR/<version>/manifest.txt  package, version and sha256 of each .deb; written
#                           last, so its presence means the engine is complete
#
# Idempotent: an engine whose manifest is present and whose bin dir answers
# `dockerd --version` is left as it is (its manifest is printed again).
#
# Usage: .ci/engines.sh [26.1.5|28.5.2 ...]   (default: both). Needs root for
# nothing but writing DIR; CI runs it as root.
set -euo pipefail

DIR="${DOCKERMODEL_ENGINES_DIR:-/opt/dockermodel-engines}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
MIRROR=http://deb.debian.org/debian
SYSTEM_RUNC=/usr/sbin/runc

die() {
  echo "engines.sh: $*" >&2
  exit 1
}

# suite of an engine version
suite_of() {
  case "$1" in
    26.1.5) echo trixie ;;
    28.5.2) echo sid ;;
    *) die "unknown engine version '$1' (known: 26.1.5 28.5.2)" ;;
  esac
}

# preferred docker.io revision of an engine version ("" = newest of that upstream version)
pin_of() {
  case "$1" in
    26.1.5) echo "26.1.5+dfsg1-9+deb13u1+b1" ;;
    *) echo "" ;;
  esac
}

apt_options() {
  local d="$1"
  printf '%s\n' \
    -o "Dir::Etc::SourceList=$d/sources.list" \
    -o "Dir::Etc::SourceParts=/nonexistent" \
    -o "Dir::State::Lists=$d/lists" \
    -o "Dir::Cache=$d/cache" \
    -o "Dir::State::status=/dev/null" \
    -o "APT::Sandbox::User=root"
}

# newest of the versions given on stdin, by Debian ordering
newest_version() {
  local best="" version
  while read -r version; do
    [ -n "$version" ] || continue
    if [ -z "$best" ] || dpkg --compare-versions "$version" gt "$best"; then
      best="$version"
    fi
  done
  echo "$best"
}

fetch_engine() {
  local version="$1" suite pin d target
  suite="$(suite_of "$version")"
  pin="$(pin_of "$version")"
  target="$DIR/$version"

  if [ -s "$target/manifest.txt" ] && "$target/bin/dockerd" --version >/dev/null 2>&1; then
    echo "== engine $version (cached in $target)"
    cat "$target/manifest.txt"
    "$target/bin/dockerd" --version
    return 0
  fi

  echo "== engine $version from Debian $suite"
  d="$DIR/apt/$suite"
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
  echo "deb [signed-by=$KEYRING] $MIRROR $suite main" >"$d/sources.list"
  local -a opts
  mapfile -t opts < <(apt_options "$d")
  apt-get -q "${opts[@]}" update >/dev/null

  # Every docker.io version the suite offers; keep those of this upstream version.
  local all_versions wanted
  all_versions="$(apt-cache "${opts[@]}" madison docker.io | awk -F'|' '{gsub(/ /, "", $2); print $2}')"
  wanted=""
  if [ -n "$pin" ] && grep -qxF "$pin" <<<"$all_versions"; then
    wanted="$pin"
  else
    wanted="$(grep -E "^${version//./\\.}[+~-]" <<<"$all_versions" | newest_version || true)"
    if [ -n "$wanted" ] && [ -n "$pin" ]; then
      echo "note: $pin is gone from $suite; using $wanted"
    fi
  fi
  if [ -z "$wanted" ]; then
    echo "engines.sh: Debian $suite no longer has docker.io $version; it has:" >&2
    apt-cache "${opts[@]}" madison docker.io containerd tini >&2 || true
    exit 1
  fi

  # containerd and tini: the suite's own version. Newer tini packages (sid,
  # 0.19.0-6) moved tini-static into a package of its own: fetch it as well
  # where the suite has one.
  local -a specs=("docker.io=$wanted")
  local package package_version
  for package in containerd tini tini-static; do
    package_version="$(apt-cache "${opts[@]}" madison "$package" | awk -F'|' 'NR == 1 {gsub(/ /, "", $2); print $2}')"
    if [ -z "$package_version" ]; then
      [ "$package" = tini-static ] && continue
      die "Debian $suite has no $package"
    fi
    specs+=("$package=$package_version")
  done

  # A fresh unpack each time: nothing half-done survives a failed run.
  rm -rf "$target"
  mkdir -p "$target/debs" "$target/root" "$target/bin"
  # apt-get download checks each file against the index's hash and fails on a mismatch.
  (cd "$target/debs" && apt-get -q "${opts[@]}" download "${specs[@]}" >/dev/null)

  # Check once more, explicitly, against the SHA256 of the apt index.
  local manifest="" deb expected actual spec
  for spec in "${specs[@]}"; do
    package="${spec%%=*}"
    package_version="${spec#*=}"
    deb="$(find "$target/debs" -maxdepth 1 -name "${package}_*.deb" -print -quit)"
    [ -n "$deb" ] || die "apt-get download left no ${package} .deb"
    [ "$(dpkg-deb -f "$deb" Version)" = "$package_version" ] ||
      die "$deb is version $(dpkg-deb -f "$deb" Version), expected $package_version"
    expected="$(apt-cache "${opts[@]}" show "$spec" | awk '/^SHA256:/ {print $2; exit}')"
    actual="$(sha256sum "$deb" | awk '{print $1}')"
    [ -n "$expected" ] || die "the $suite index has no SHA256 for $spec"
    [ "$expected" = "$actual" ] || die "sha256 mismatch for $deb: index $expected, file $actual"
    manifest+="$package $package_version sha256:$actual $(basename "$deb")"$'\n'
    dpkg-deb -x "$deb" "$target/root"
  done

  local name source
  for name in dockerd docker-proxy containerd containerd-shim-runc-v2 docker-init runc; do
    case "$name" in
      dockerd | docker-proxy) source="$target/root/usr/sbin/$name" ;;
      containerd | containerd-shim-runc-v2) source="$target/root/usr/bin/$name" ;;
      # The package's own docker-init link may dangle: link tini-static directly.
      docker-init) source="$target/root/usr/bin/tini-static" ;;
      runc) source="$SYSTEM_RUNC" ;;
    esac
    [ -x "$source" ] || die "$name: $source is missing or not executable"
    ln -sfn "$source" "$target/bin/$name"
  done

  "$target/bin/dockerd" --version >/dev/null || die "$target/bin/dockerd does not start"
  "$target/bin/containerd" --version >/dev/null || die "$target/bin/containerd does not start"
  printf '%s' "$manifest" >"$target/manifest.txt.new"
  mv "$target/manifest.txt.new" "$target/manifest.txt"
  cat "$target/manifest.txt"
  "$target/bin/dockerd" --version
  "$target/bin/containerd" --version
}

[ -x "$SYSTEM_RUNC" ] || die "$SYSTEM_RUNC is missing (apt-get install runc; docker.io brings it)"
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing"
mkdir -p "$DIR"
if [ "$#" -eq 0 ]; then
  set -- 26.1.5 28.5.2
fi
for version in "$@"; do
  fetch_engine "$version"
done
