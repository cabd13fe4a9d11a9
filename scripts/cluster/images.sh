#!/usr/bin/env bash
# Builds the container images the local cluster and the operator's pods use, without Docker or a registry,
# and imports them into the cluster's containerd under the names the operator and the chart default to.
#   Debian images: a cached debootstrap minbase rootfs of the suite, copied, `apt-get install` in a chroot,
#   one layer packed with umoci, the config (user, env, entrypoint) set with umoci, a docker-archive made
#   by skopeo, imported with `ctr -n k8s.io images import`.
#   Binary images (pause, CoreDNS, local-path-provisioner, its helper): the static binaries of build.sh.
# Each archive is cached with a key over its inputs (recipe text, packages, files); an unchanged image is
# neither rebuilt nor re-imported. Usage: scripts/cluster/images.sh [--no-import] [IMAGE...]
#   IMAGE: pause coredns local-path local-path-helper postgres pgbouncer redis s3proxy operator (default: all)
source "$(dirname "$0")/common.sh"

set -E
trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR
# Bump when the shared pipeline below changes in a way that must rebuild every image.
PIPELINE_VERSION=2
IMPORT=1
[ "${1:-}" = --no-import ] && { IMPORT=0; shift; }
ALL=(pause coredns local-path local-path-helper postgres pgbouncer redis s3proxy operator)
SELECTED=("$@")
[ ${#SELECTED[@]} -gt 0 ] || SELECTED=("${ALL[@]}")

ensure_packages debootstrap umoci skopeo containerd
mkdir -p "$IMAGE_CACHE/base" "$IMAGE_CACHE/archives" "$IMAGE_CACHE/work"
PATH_DEFAULT=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The security archive of the machine's own apt sources (the same host layout as the main mirror).
debian_security_mirror() {
  { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -hE '^deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}'
  } | grep -- '-security/\?$' | head -n1 || true
}

# A name as containerd's CRI resolves it: `redis:7.4-alpine` is docker.io/library/redis:7.4-alpine.
normalize_ref() {
  local ref=$1 first=${1%%/*}
  if [[ "$ref" != */* ]]; then echo "docker.io/library/$ref"
  elif [[ "$first" == *.* || "$first" == *:* || "$first" == localhost ]]; then echo "$ref"
  else echo "docker.io/$ref"; fi
}

# --- Debian rootfs ------------------------------------------------------------------------------------
# A minbase rootfs of the suite, debootstrapped once and kept as a tarball.
base_tarball() {
  local suite=$1 tarball="$IMAGE_CACHE/base/$1-minbase.tar" dir mirror
  if [ ! -s "$tarball" ]; then
    mirror=$(debian_mirror)
    [ -n "$mirror" ] || { log "cannot find a Debian mirror in the apt sources"; exit 1; }
    dir="$IMAGE_CACHE/work/base-$suite"
    rm -rf "$dir"
    log "debootstrapping a $suite minbase rootfs (once; cached as $tarball)"
    debootstrap --variant=minbase "$suite" "$dir" "$mirror" > "$IMAGE_CACHE/work/debootstrap-$suite.log" 2>&1 \
      || { tail -20 "$IMAGE_CACHE/work/debootstrap-$suite.log" >&2; exit 1; }
    # Slim images: no documentation, manual pages or translations from packages installed later.
    cat > "$dir/etc/dpkg/dpkg.cfg.d/01-databaseunit-slim" <<'CFG'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
CFG
    # Packages must not start services in the chroot.
    printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d" && chmod 0755 "$dir/usr/sbin/policy-rc.d"
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' > "$dir/etc/apt/apt.conf.d/01-databaseunit"
    slim_rootfs "$dir"
    tar --numeric-owner -C "$dir" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$dir"
  fi
  echo "$tarball"
}

slim_rootfs() {
  local r=$1
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/* "$r"/var/cache/debconf/*-old "$r"/var/log/* \
    "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/tmp/* "$r"/var/tmp/* "$r"/root/.cache
  # postgresql-common's ssl-cert made a "snakeoil" key pair at install time: no image ships a private key.
  rm -f "$r"/etc/ssl/private/ssl-cert-snakeoil.key "$r"/etc/ssl/certs/ssl-cert-snakeoil.pem
  find "$r/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
  find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
}

CHROOT_MOUNTS=()
chroot_umount() {
  local m i
  for ((i = ${#CHROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
    m=${CHROOT_MOUNTS[$i]}
    mountpoint -q "$m" && umount "$m"
  done
  CHROOT_MOUNTS=()
}
trap chroot_umount EXIT

# Copies the suite's base rootfs to $2 and installs the packages "${@:3}" in it from the machine's mirror; PRE_INSTALL
# and POST_INSTALL are shell scripts run in the chroot before and after (the mirror still set up).
debian_rootfs() {
  local suite=$1 root=$2 mirror security
  shift 2
  mirror=$(debian_mirror); security=$(debian_security_mirror)
  rm -rf "$root" && mkdir -p "$root"
  tar --numeric-owner -C "$root" -xf "$(base_tarball "$suite")"
  # update-alternatives (Java's postinst) fails when the manual page directory it links into is missing.
  mkdir -p "$root/usr/share/man/man1"
  {
    echo "deb $mirror $suite main"
    echo "deb $mirror $suite-updates main"
    [ -z "$security" ] || echo "deb $security $suite-security main"
  } > "$root/etc/apt/sources.list"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc" && CHROOT_MOUNTS+=("$root/proc")
  mount --bind /dev "$root/dev" && CHROOT_MOUNTS+=("$root/dev")
  in_chroot "$root" "${PRE_INSTALL:-true}"
  local apt_log
  apt_log="$IMAGE_CACHE/work/apt-$(basename "$(dirname "$root")").log"
  { chroot "$root" apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -q --no-install-recommends "$@" \
      && in_chroot "$root" "${POST_INSTALL:-true}" \
      && chroot "$root" apt-get clean; } > "$apt_log" 2>&1 \
    || { log "apt-get in the $suite chroot failed (packages: $*):"; tail -20 "$apt_log" >&2; return 1; }
  chroot_umount
  # The image carries neither the build machine's mirror nor its resolver.
  rm -f "$root/etc/apt/sources.list" "$root/etc/resolv.conf"
  : > "$root/etc/resolv.conf"
  slim_rootfs "$root"
}

in_chroot() { local root=$1; shift; chroot "$root" /bin/sh -ec "$*"; }

# A rootfs with nothing but the given static files, plus passwd/group naming the non-root user.
scratch_rootfs() {
  local root=$1
  rm -rf "$root" && mkdir -p "$root/etc" "$root/tmp" "$root/usr/bin"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' > "$root/etc/group"
}

# --- Recipes: recipe_<image> fills the rootfs in $1; config_<image> prints umoci config options, one per line.
# The text of both functions is part of the image's cache key.
refs_pause=("$PAUSE_IMAGE")
recipe_pause() { scratch_rootfs "$1"; install -m 0755 "$CLUSTER_BIN/pause" "$1/pause"; }
config_pause() { printf '%s\n' --config.user=65535:65535 --config.entrypoint=/pause; }
inputs_pause() { echo "$CLUSTER_BIN/pause"; }

refs_coredns=("$COREDNS_IMAGE")
recipe_coredns() { scratch_rootfs "$1"; install -m 0755 "$CLUSTER_BIN/coredns" "$1/coredns"; }
config_coredns() { printf '%s\n' --config.user=65532:65532 --config.entrypoint=/coredns --config.workingdir=/; }
inputs_coredns() { echo "$CLUSTER_BIN/coredns"; }

refs_local_path=("$LOCAL_PATH_IMAGE")
recipe_local_path() { scratch_rootfs "$1"; install -m 0755 "$CLUSTER_BIN/local-path-provisioner" "$1/usr/bin/local-path-provisioner"; }
config_local_path() { printf '%s\n' --config.user=65532:65532 --config.env=PATH=/usr/bin --config.entrypoint=/usr/bin/local-path-provisioner; }
inputs_local_path() { echo "$CLUSTER_BIN/local-path-provisioner"; }

# The provisioner's helper pod runs its setup/teardown scripts with sh, mkdir, rm and chmod: a static busybox
# (the host's Debian package, unpacked) is all it needs.
refs_local_path_helper=("$LOCAL_PATH_HELPER_IMAGE")
recipe_local_path_helper() {
  local deb_dir="$IMAGE_CACHE/work/busybox-deb" c
  scratch_rootfs "$1"
  if ! ls "$IMAGE_CACHE"/base/busybox-static_*.deb >/dev/null 2>&1; then
    rm -rf "$deb_dir" && mkdir -p "$deb_dir"
    ( cd "$deb_dir" && apt-get -o APT::Sandbox::User=root download -qq busybox-static ) \
      || { apt-get update -qq && ( cd "$deb_dir" && apt-get -o APT::Sandbox::User=root download -qq busybox-static ); }
    mv "$deb_dir"/busybox-static_*.deb "$IMAGE_CACHE/base/"
  fi
  rm -rf "$deb_dir" && mkdir -p "$deb_dir"
  dpkg-deb -x "$(ls "$IMAGE_CACHE"/base/busybox-static_*.deb | head -n1)" "$deb_dir"
  install -m 0755 "$(find "$deb_dir" -path "*bin/busybox" -type f | head -n1)" "$1/usr/bin/busybox"
  rm -rf "$deb_dir"
  mkdir -p "$1/bin"
  for c in sh mkdir rm chmod ls cat; do ln -s /usr/bin/busybox "$1/bin/$c"; done
}
config_local_path_helper() { printf '%s\n' --config.env=PATH=/bin:/usr/bin --config.cmd=/bin/sh; }
inputs_local_path_helper() { :; }

# PostgreSQL 17 with pgvector: the user and PATH of the operator's managed PostgreSQL (uid 999). A small
# entrypoint stands in for the upstream image's: it initialises an empty $PGDATA from POSTGRES_USER,
# POSTGRES_PASSWORD and POSTGRES_DB, then runs postgres; an explicit command bypasses it.
refs_postgres=("$POSTGRES_IMAGE")
recipe_postgres() {
  PRE_INSTALL='groupadd --system --gid 999 postgres
    useradd --system --uid 999 --gid 999 --home-dir /var/lib/postgresql --shell /bin/sh postgres
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/databaseunit.conf' \
  debian_rootfs trixie "$1" postgresql-17 postgresql-17-pgvector ca-certificates
  in_chroot "$1" 'rm -rf /etc/postgresql/17 /var/lib/postgresql/17
    mkdir -p /var/lib/postgresql/data /var/run/postgresql
    chown -R 999:999 /var/lib/postgresql /var/run/postgresql
    chmod 0700 /var/lib/postgresql/data
    chmod 2775 /var/run/postgresql
    sed -i "s/^#\?listen_addresses = .*/listen_addresses = '"'*'"'/" /usr/share/postgresql/17/postgresql.conf.sample'
  install -m 0755 /dev/stdin "$1/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
# Stand-in for the upstream postgres image's entrypoint (image built by scripts/cluster/images.sh).
set -eu
case "${1:-}" in -*|"") set -- postgres "$@" ;; esac
if [ "$1" = postgres ] && [ ! -s "${PGDATA:?}/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required to initialise an empty PGDATA}"
  user="${POSTGRES_USER:-postgres}"; db="${POSTGRES_DB:-$user}"
  mkdir -p "$PGDATA" && chmod 0700 "$PGDATA"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  # shellcheck disable=SC2086
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm -f "$pwfile"
  printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    dq=$(printf '%s' "$db" | sed 's/"/""/g')
    echo "CREATE DATABASE \"$dq\"" | postgres --single -D "$PGDATA" -j postgres >/dev/null
  fi
  echo "PostgreSQL initialised in $PGDATA (superuser $user, database $db)" >&2
fi
exec "$@"
SH
}
config_postgres() {
  printf '%s\n' --config.user=999:999 "--config.env=PATH=/usr/lib/postgresql/17/bin:$PATH_DEFAULT" \
    --config.env=PGDATA=/var/lib/postgresql/data --config.env=LANG=C.UTF-8 \
    --config.entrypoint=/usr/local/bin/docker-entrypoint.sh --config.cmd=postgres \
    --config.workingdir=/var/lib/postgresql --config.exposedports=5432/tcp --config.stopsignal=SIGINT
}
inputs_postgres() { :; }

# PgBouncer as uid 998 (PgBouncerResources.PGBOUNCER_UID); ca-certificates: client TLS needs a CA bundle.
refs_pgbouncer=("$PGBOUNCER_IMAGE")
recipe_pgbouncer() {
  PRE_INSTALL='groupadd --system --gid 998 pgbouncer
    useradd --system --uid 998 --gid 998 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin pgbouncer' \
  debian_rootfs trixie "$1" pgbouncer ca-certificates
  # Debian installs /usr/sbin/pgbouncer; the operator runs /usr/bin/pgbouncer (the upstream image's path).
  in_chroot "$1" 'rm -f /etc/pgbouncer/userlist.txt; ln -s ../sbin/pgbouncer /usr/bin/pgbouncer; /usr/bin/pgbouncer --version'
}
config_pgbouncer() {
  printf '%s\n' --config.user=998:998 "--config.env=PATH=$PATH_DEFAULT" --config.entrypoint=/usr/bin/pgbouncer \
    --config.cmd=/etc/pgbouncer/pgbouncer.ini --config.workingdir=/ --config.exposedports=5432/tcp
}
inputs_pgbouncer() { :; }

# Redis as uid 999 (ManagedRedis.REDIS_UID); the operator runs `redis-server ...` as the command (no entrypoint).
refs_redis=("$REDIS_IMAGE")
recipe_redis() {
  PRE_INSTALL='groupadd --system --gid 999 redis
    useradd --system --uid 999 --gid 999 --home-dir /data --no-create-home --shell /usr/sbin/nologin redis' \
  debian_rootfs trixie "$1" redis-server
  in_chroot "$1" 'mkdir -p /data && chown 999:999 /data; command -v redis-server'
}
config_redis() {
  printf '%s\n' --config.user=999:999 "--config.env=PATH=$PATH_DEFAULT" --config.cmd=redis-server \
    --config.workingdir=/data --config.exposedports=6379/tcp
}
inputs_redis() { :; }

# s3proxy on its filesystem backend, for S3 inside the cluster (config file mounted at /etc/s3proxy).
S3PROXY_JAR="$HOME/.m2/repository/org/gaul/s3proxy/$S3PROXY_VERSION/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar"
refs_s3proxy=("$S3PROXY_IMAGE")
recipe_s3proxy() {
  debian_rootfs trixie "$1" openjdk-21-jre-headless
  install -D -m 0644 "$S3PROXY_JAR" "$1/opt/s3proxy/s3proxy.jar"
  in_chroot "$1" 'groupadd --system --gid 65532 s3proxy
    useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin s3proxy'
}
config_s3proxy() {
  printf '%s\n' --config.user=65532:65532 "--config.env=PATH=$PATH_DEFAULT" \
    --config.env=JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=70 \
    --config.entrypoint=java --config.entrypoint=-jar --config.entrypoint=/opt/s3proxy/s3proxy.jar \
    --config.cmd=--properties --config.cmd=/etc/s3proxy/s3proxy.conf --config.workingdir=/ --config.exposedports=80/tcp
}
inputs_s3proxy() { echo "$S3PROXY_JAR"; }

# The operator: built from the instructions of the repository's Dockerfile (scripts/cluster/dockerfile.py reads
# them), so the image users build with Docker and this one cannot drift apart.
APP_VERSION=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$ROOT/helm/databaseunit-operator/Chart.yaml")
refs_operator=("$OPERATOR_REPO:$APP_VERSION" "$OPERATOR_REPO:dev")
DOCKERFILE=(python3 "$ROOT/scripts/cluster/dockerfile.py" "$ROOT/Dockerfile")
recipe_operator() {
  local run runs="" src dst
  # The RUN instructions run in the chroot with the mirror set up, as docker build runs them in the base image.
  while IFS= read -r -d '' run; do
    runs+="$run"$'\n'
  done < <("${DOCKERFILE[@]}" run; printf '\0')
  POST_INSTALL="$runs" debian_rootfs "$("${DOCKERFILE[@]}" suite)" "$1"
  while read -r src dst; do
    mkdir -p "$1/$dst" && cp -R "$ROOT/$src/." "$1/$dst/" && chmod -R a+rX "$1/$dst"
  done < <("${DOCKERFILE[@]}" copy)
}
config_operator() { "${DOCKERFILE[@]}" config "$PATH_DEFAULT"; echo --config.workingdir=/; }
inputs_operator() { echo "$ROOT/Dockerfile"; echo "$ROOT/scripts/cluster/dockerfile.py"; ls "$ROOT"/target/image/lib/*.jar; }

# --- Packing, caching, importing ------------------------------------------------------------------------
# The names of image $1, one a line (refs_<image> above).
refs_of() { local -n _refs="refs_${1//-/_}"; printf '%s\n' "${_refs[@]}"; }
cache_key() {
  local fn=${1//-/_} f
  {
    echo "pipeline $PIPELINE_VERSION"
    declare -f "recipe_$fn" "config_$fn"
    refs_of "$1"
    for f in $("inputs_$fn"); do sha256sum "$f" | awk '{print $1}'; done
  } | sha256sum | cut -c1-16
}

# Builds the archive of image $1 unless one with the same key exists; sets ARCHIVE to its path.
# (Not run in a command substitution: the chroot mounts and their clean-up trap belong to this shell.)
build_archive() {
  local name=$1 fn=${1//-/_} key archive work oci refs tag opts=() extra=() r
  key=$(cache_key "$name")
  archive="$IMAGE_CACHE/archives/$name.tar"
  ARCHIVE=$archive
  if [ -s "$archive" ] && [ "$(cat "$archive.key" 2>/dev/null)" = "$key" ]; then return 0; fi
  local t0=$SECONDS
  log "building image $name (key $key)"
  work="$IMAGE_CACHE/work/$name"
  rm -rf "$work" && mkdir -p "$work"
  "recipe_$fn" "$work/rootfs"
  tar --numeric-owner -C "$work/rootfs" -cf "$work/layer.tar" .
  rm -rf "$work/rootfs"
  oci="$work/oci"; tag=image
  umoci init --layout "$oci"
  umoci new --image "$oci:$tag"
  umoci raw add-layer --image "$oci:$tag" --history.created_by "scripts/cluster/images.sh $name" "$work/layer.tar"
  rm -f "$work/layer.tar"
  mapfile -t opts < <("config_$fn")
  umoci config --image "$oci:$tag" --os linux --architecture amd64 --author databaseunit \
    --config.label "dev.databaseunit.image-key=$key" "${opts[@]}"
  umoci gc --layout "$oci"
  mapfile -t refs < <(refs_of "$name")
  for r in "${refs[@]:1}"; do extra+=(--additional-tag "$(normalize_ref "$r")"); done
  rm -f "$archive" "$archive.key"
  skopeo copy -q "${extra[@]}" "oci:$oci:$tag" "docker-archive:$archive:$(normalize_ref "${refs[0]}")"
  echo "$key" > "$archive.key"
  rm -rf "$work"
  log "image $name: $(du -h "$archive" | cut -f1) archive in $((SECONDS - t0)) s"
}

# Imports the archive of image $1 unless containerd already has each of its names at the same key.
import_archive() {
  local name=$1 fn=${1//-/_} archive=$2 key refs r need=0
  key=$(cat "$archive.key")
  mapfile -t refs < <(refs_of "$name")
  for r in "${refs[@]}"; do
    [[ "$("${CTR[@]}" images ls "name==$(normalize_ref "$r")" 2>/dev/null)" == *"dev.databaseunit.image-key=$key"* ]] || need=1
  done
  [ "$need" = 1 ] || return 0
  log "importing $name as ${refs[*]}"
  "${CTR[@]}" images import "$archive" >/dev/null
  for r in "${refs[@]}"; do
    "${CTR[@]}" images label "$(normalize_ref "$r")" "dev.databaseunit.image-key=$key" >/dev/null
  done
}

for name in "${SELECTED[@]}"; do
  case " ${ALL[*]} " in *" $name "*) ;; *) log "unknown image $name (one of: ${ALL[*]})"; exit 1 ;; esac
done
# Inputs that other scripts make.
for name in "${SELECTED[@]}"; do
  case $name in
    pause|coredns|local-path)
      [ -x "$CLUSTER_BIN/pause" ] && [ -x "$CLUSTER_BIN/coredns" ] && [ -x "$CLUSTER_BIN/local-path-provisioner" ] \
        || "$ROOT/scripts/cluster/build.sh" ;;
    s3proxy)
      [ -f "$S3PROXY_JAR" ] || "$ROOT/mvnw" -q -B dependency:get -Dartifact="org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" -Dtransitive=false ;;
    operator)
      ls "$ROOT"/target/image/lib/databaseunit-operator-*.jar >/dev/null 2>&1 || "$ROOT/scripts/build-image.sh" --stage-only ;;
  esac
done

[ "$IMPORT" = 0 ] || start_containerd
for name in "${SELECTED[@]}"; do
  build_archive "$name"
  [ "$IMPORT" = 0 ] || import_archive "$name" "$ARCHIVE"
done
if [ "$IMPORT" = 1 ]; then
  # containerd's CRI keeps a sha256:<image id> name per image; drop those left by images replaced above.
  # (The sha256: names whose manifest digest no named image has.)
  "${CTR[@]}" images ls 2>/dev/null | awk 'NR > 1 {
      if ($1 ~ /^sha256:/) ids[$1] = $3; else named[$3] = 1 }
    END { for (r in ids) if (!(ids[r] in named)) print r }' \
  | while read -r ref; do "${CTR[@]}" images rm "$ref" >/dev/null 2>&1 || true; done
  listing=$("${CTR[@]}" images ls 2>/dev/null)
  log "images in containerd (namespace k8s.io):"
  for name in "${SELECTED[@]}"; do
    mapfile -t refs < <(refs_of "$name")
    for r in "${refs[@]}"; do
      awk -v ref="$(normalize_ref "$r")" '$1 == ref {printf "  %-56s %s %s\n", $1, $4, $5}' <<<"$listing" >&2
    done
  done
fi
