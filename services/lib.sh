# shellcheck shell=bash
# Shared code for services/up, services/down and services/status.
# Sourced, not executed. Starts Apache Cassandra 5.0, JanusGraph Server 1.1 and
# OpenSearch 2.19 from Maven Central artifacts with the machine's JDK 17, on
# 127.0.0.1 only, and stops them by the process ids it recorded.

# ---------------------------------------------------------------- settings --

SERVICES_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ALL_SERVICES=(cassandra janusgraph opensearch)

RUN_DIR="${C360_SERVICES_DIR:-$SERVICES_HOME/run}"
CACHE_DIR="${C360_SERVICES_CACHE:-$SERVICES_HOME/.cache}"
LOG_DIR="$RUN_DIR/logs"
# Maven's local repository: shared with everything else on the machine so a
# fresh clone on a machine that already ran services/up downloads nothing.
M2_REPO="${C360_M2_REPO:-${HOME:-/root}/.m2/repository}"
PYTHON="${PYTHON:-python3}"

CASSANDRA_VERSION="${C360_CASSANDRA_VERSION:-5.0.9}"
JANUSGRAPH_VERSION="${C360_JANUSGRAPH_VERSION:-1.1.0}"
OPENSEARCH_VERSION="${C360_OPENSEARCH_VERSION:-2.19.6}"

CASSANDRA_PORT="${C360_CASSANDRA_PORT:-9042}"
CASSANDRA_STORAGE_PORT="${C360_CASSANDRA_STORAGE_PORT:-7000}"
JANUSGRAPH_PORT="${C360_JANUSGRAPH_PORT:-8182}"
JANUSGRAPH_KEYSPACE="${C360_JANUSGRAPH_KEYSPACE:-janusgraph}"
OPENSEARCH_PORT="${C360_OPENSEARCH_PORT:-9200}"
OPENSEARCH_TRANSPORT_PORT="${C360_OPENSEARCH_TRANSPORT_PORT:-9300}"

CASSANDRA_HEAP="${C360_CASSANDRA_HEAP:-1g}"
JANUSGRAPH_HEAP="${C360_JANUSGRAPH_HEAP:-1g}"
OPENSEARCH_HEAP="${C360_OPENSEARCH_HEAP:-512m}"

START_TIMEOUT="${C360_SERVICES_TIMEOUT:-300}"   # seconds, per server
STOP_TIMEOUT=30                                  # seconds before SIGKILL
OPENSEARCH_USER="${C360_OPENSEARCH_USER:-c360svc}"
MAVEN_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1"

# ----------------------------------------------------------------- output --

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }
log_file() { printf '%s/%s.log' "$LOG_DIR" "$1"; }

port_of() {
  case "$1" in
    cassandra) echo "$CASSANDRA_PORT" ;;
    janusgraph) echo "$JANUSGRAPH_PORT" ;;
    opensearch) echo "$OPENSEARCH_PORT" ;;
  esac
}

is_service() {
  local s
  for s in "${ALL_SERVICES[@]}"; do [[ "$s" == "$1" ]] && return 0; done
  return 1
}

# ------------------------------------------------------------------ tools --

APT_UPDATED=0
apt_install() {
  [[ $EUID -eq 0 ]] || die "'$*' is missing and only root can install it (apt-get install -y $*)"
  command -v apt-get >/dev/null || die "'$*' is missing and apt-get is not available"
  log "installing $* with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if [[ $APT_UPDATED -eq 0 ]] && ! apt-get install -y -q "$@" >"$LOG_DIR/apt.log" 2>&1; then
    apt-get update -q >>"$LOG_DIR/apt.log" 2>&1 || true
    APT_UPDATED=1
    apt-get install -y -q "$@" >>"$LOG_DIR/apt.log" 2>&1 || { tail -n 20 "$LOG_DIR/apt.log" >&2; die "apt-get install $* failed"; }
  elif [[ $APT_UPDATED -eq 1 ]]; then
    apt-get install -y -q "$@" >>"$LOG_DIR/apt.log" 2>&1 || { tail -n 20 "$LOG_DIR/apt.log" >&2; die "apt-get install $* failed"; }
  fi
}

find_java_home() {
  if [[ -n "${C360_JAVA_HOME:-}" ]]; then
    JAVA_HOME="$C360_JAVA_HOME"
  elif [[ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]]; then
    JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
  elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    :
  elif command -v java >/dev/null; then
    JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  else
    apt_install openjdk-17-jdk-headless
    JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  fi
  export JAVA_HOME
  JAVA="$JAVA_HOME/bin/java"
  [[ -x "$JAVA" ]] || die "no java at $JAVA (set C360_JAVA_HOME)"
  local major
  major="$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  [[ "$major" == "17" ]] || log "warning: java $major at $JAVA; these servers are configured for JDK 17"
}

ensure_tools() {
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$CACHE_DIR"
  local missing=()
  command -v curl >/dev/null || missing+=(curl)
  command -v unzip >/dev/null || missing+=(unzip)
  command -v "$PYTHON" >/dev/null || missing+=(python3)
  [[ ${#missing[@]} -eq 0 ]] || apt_install "${missing[@]}"
  find_java_home
  command -v mvn >/dev/null || apt_install maven
}

# Runs Maven quietly (errors only, into a log), retrying network hiccups.
mvn_quiet() {
  local what="$1"; shift
  local mlog="$LOG_DIR/maven-$what.log" attempt
  for attempt in 1 2 3; do
    if JAVA_HOME="$JAVA_HOME" mvn -B -q -ntp -Dstyle.color=never \
         -Dmaven.repo.local="$M2_REPO" "$@" >"$mlog" 2>&1; then
      return 0
    fi
    log "maven ($what) failed, attempt $attempt of 3"
    sleep $((attempt * 5))
  done
  sed -e 's/\x1b\[[0-9;]*m//g' "$mlog" | grep -v '^\s*$' | tail -n 40 >&2
  die "could not resolve $what from Maven Central (full output: $mlog)"
}

# Prints a classpath file path whose jars all exist, resolving it if needed.
# $1 = name, $2 = pom dir, $3.. = extra maven -D properties
resolve_classpath() {
  local name="$1" pomdir="$2"; shift 2
  local cp="$CACHE_DIR/$name.classpath"
  if [[ -s "$cp" ]] && classpath_complete "$cp"; then
    return 0
  fi
  log "resolving $name and its dependencies with Maven (first run only)"
  rm -f "$cp"
  mvn_quiet "$name" -f "$pomdir/pom.xml" "$@" \
    "$MAVEN_DEPENDENCY_PLUGIN:build-classpath" \
    -Dmdep.outputFile="$cp.tmp" -Dmdep.includeScope=runtime -Dmdep.pathSeparator=:
  mv "$cp.tmp" "$cp"
  classpath_complete "$cp" || die "classpath $cp lists missing jars"
}

classpath_complete() {
  local jar
  while IFS= read -r jar; do
    [[ -z "$jar" || -f "$jar" ]] || return 1
  done < <(tr ':' '\n' <"$1")
}

classpath_jar() {  # $1 = classpath file, $2 = jar name prefix (e.g. jamm-)
  tr ':' '\n' <"$1" | grep -E "/$2[^/]*\.jar$" | head -n 1
}

read_jvm_options() {  # one option per line, '#' comments and blanks ignored
  grep -E '^\s*-' "$1" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'
}

render() {  # $1 = template, $2 = output, then KEY=VALUE pairs for @KEY@
  local template="$1" out="$2" expr=() kv
  shift 2
  for kv in "$@"; do
    expr+=(-e "s|@${kv%%=*}@|${kv#*=}|g")
  done
  sed "${expr[@]}" "$template" >"$out.tmp"
  if grep -q '@[A-Z_]*@' "$out.tmp"; then
    die "unfilled placeholder in $out: $(grep -o '@[A-Z_]*@' "$out.tmp" | head -n 1)"
  fi
  mv "$out.tmp" "$out"
}

# -------------------------------------------------------------- processes --

# A pid is ours only if that process was started by these scripts for this
# service and this state dir (marked in its environment); a reused pid of an
# unrelated process is never signalled.
is_ours() {
  local pid="$1" name="$2" env
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  env="$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null)" || return 1
  grep -qxF "C360_SERVICE=$name" <<<"$env" && grep -qxF "C360_SERVICE_RUN_DIR=$RUN_DIR" <<<"$env"
}

recorded_pid() {  # prints the pid if the pid file names a live process of ours
  local f pid
  f="$(pid_file "$1")"
  [[ -f "$f" ]] || return 1
  pid="$(tr -dc '0-9' <"$f")"
  if is_ours "$pid" "$1"; then
    echo "$pid"
    return 0
  fi
  return 1
}

# Starts "$@" detached (own session, stdin closed, output appended to the
# service log) and records its pid. The command must exec the JVM so the
# recorded pid is the server's.
spawn() {
  local name="$1"; shift
  local pf lf
  pf="$(pid_file "$name")"
  lf="$(log_file "$name")"
  rm -f "$pf"
  {
    printf '\n===== %s: starting %s =====\n' "$(date -u +%FT%TZ)" "$name"
  } >>"$lf"
  C360_SERVICE="$name" C360_SERVICE_RUN_DIR="$RUN_DIR" \
    setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pf" "$@" \
    </dev/null >>"$lf" 2>&1 &
  local i
  for i in $(seq 1 50); do
    [[ -s "$pf" ]] && break
    sleep 0.1
  done
  [[ -s "$pf" ]] || die "$name did not start (see $lf)"
  log "$name started, pid $(cat "$pf"), log $lf"
}

stop_service() {
  local name="$1" pid pf i
  pf="$(pid_file "$name")"
  if ! pid="$(recorded_pid "$name")"; then
    [[ -f "$pf" ]] && log "$name: pid file was stale, removed"
    rm -f "$pf"
    return 0
  fi
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop within ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$pf"
  log "$name stopped"
}

# ----------------------------------------------------------------- probes --

probe() {  # exit 0 when the server answers a real request
  case "$1" in
    cassandra)
      "$PYTHON" "$SERVICES_HOME/cql_probe.py" 127.0.0.1 "$CASSANDRA_PORT" >/dev/null 2>&1 ;;
    janusgraph)
      curl -s -m 10 -X POST -H 'Content-Type: application/json' \
        -d '{"gremlin":"g.V().limit(1).count()"}' \
        "http://127.0.0.1:$JANUSGRAPH_PORT/gremlin" 2>/dev/null | grep -q '"code":200' ;;
    opensearch)
      curl -s -m 10 "http://127.0.0.1:$OPENSEARCH_PORT/_cluster/health" 2>/dev/null \
        | grep -qE '"status":"(green|yellow)"' ;;
  esac
}

port_in_use() {  # something (anything) accepts TCP connections on the port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Waits until the service answers; fails early if its process exits.
wait_ready() {
  local name="$1" started=$SECONDS pid
  local deadline=$((SECONDS + START_TIMEOUT))
  printf '[services] waiting for %s on 127.0.0.1:%s ' "$name" "$(port_of "$name")" >&2
  while :; do
    if probe "$name"; then
      printf ' ready (%ss)\n' "$((SECONDS - started))" >&2
      return 0
    fi
    if ! pid="$(recorded_pid "$name")"; then
      printf ' process exited\n' >&2
      failure_report "$name"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      printf ' timed out after %ss\n' "$START_TIMEOUT" >&2
      failure_report "$name"
      return 1
    fi
    printf '.' >&2
    sleep 2
  done
}

failure_report() {
  local name="$1" lf
  lf="$(log_file "$name")"
  log "$name did not come up; last 40 lines of $lf:"
  tail -n 40 "$lf" >&2 || true
  if [[ "$name" == opensearch ]]; then
    local base
    base="$(opensearch_base)"
    [[ -f "$base/logs/c360-local.log" ]] && { log "and of $base/logs/c360-local.log:"; tail -n 20 "$base/logs/c360-local.log" >&2; }
  fi
  log "other servers keep running; 'services/down' stops them"
}

# spawn_jvm_server NAME VERSION HEAP OPTIONS_FILE [JVM FLAGS ...] -- MAIN_CLASS [ARGS ...]
# Starts a server from the classpath Maven resolved for it, in $RUN_DIR/NAME (whose conf/
# comes first on the classpath). Cassandra and JanusGraph both need the jamm agent from
# that classpath to size their caches; heap dumps and crash files go to known places.
spawn_jvm_server() {
  local name="$1" version="$2" heap="$3" options_file="$4" base cpfile jamm opts=() flags=()
  shift 4
  while [[ $# -gt 0 && "$1" != "--" ]]; do flags+=("$1"); shift; done
  [[ "${1:-}" == "--" ]] || die "spawn_jvm_server $name: missing -- before the main class"
  shift
  base="$RUN_DIR/$name"
  cpfile="$CACHE_DIR/$name-$version.classpath"
  jamm="$(classpath_jar "$cpfile" jamm-)"
  [[ -n "$jamm" ]] || die "jamm not found on $name's classpath ($cpfile)"
  mapfile -t opts < <(read_jvm_options "$options_file")
  cd "$base" || die "cannot enter $base"
  spawn "$name" "$JAVA" \
    "-Xms$heap" "-Xmx$heap" \
    "${opts[@]}" \
    "-javaagent:$jamm" \
    "-XX:HeapDumpPath=$base" "-XX:ErrorFile=$LOG_DIR/$name-hs_err_%p.log" \
    "${flags[@]}" \
    -cp "$base/conf:$(cat "$cpfile")" \
    "$@"
  cd - >/dev/null || true
}

# -------------------------------------------------------------- cassandra --

prepare_cassandra() {
  resolve_classpath "cassandra-$CASSANDRA_VERSION" "$SERVICES_HOME/pom/cassandra" \
    -Dcassandra.version="$CASSANDRA_VERSION"
  local base="$RUN_DIR/cassandra"
  mkdir -p "$base/conf" "$base/data" "$base/commitlog" "$base/saved_caches" \
           "$base/hints" "$base/cdc_raw"
  render "$SERVICES_HOME/conf/cassandra.yaml.in" "$base/conf/cassandra.yaml" \
    "DATA_DIR=$base" "NATIVE_PORT=$CASSANDRA_PORT" \
    "STORAGE_PORT=$CASSANDRA_STORAGE_PORT" "SSL_STORAGE_PORT=$((CASSANDRA_STORAGE_PORT + 1))"
  cp "$SERVICES_HOME/conf/cassandra-logback.xml" "$base/conf/logback.xml"
}

start_cassandra() {
  local base="$RUN_DIR/cassandra"
  spawn_jvm_server cassandra "$CASSANDRA_VERSION" "$CASSANDRA_HEAP" "$SERVICES_HOME/conf/cassandra-jvm17.options" \
    "-Dcassandra.config=file://$base/conf/cassandra.yaml" \
    "-Dcassandra-foreground=yes" \
    "-Dcassandra.storagedir=$base" \
    "-Dcassandra.logdir=$LOG_DIR" \
    "-Dlogback.configurationFile=file://$base/conf/logback.xml" \
    "-Dcassandra.skip_wait_for_gossip_to_settle=0" \
    "-Dcassandra.ring_delay_ms=1000" \
    "-Dcassandra.native_transport_port=$CASSANDRA_PORT" \
    -- org.apache.cassandra.service.CassandraDaemon
}

# ------------------------------------------------------------- janusgraph --

prepare_janusgraph() {
  resolve_classpath "janusgraph-$JANUSGRAPH_VERSION" "$SERVICES_HOME/pom/janusgraph" \
    -Djanusgraph.version="$JANUSGRAPH_VERSION"
  local conf="$RUN_DIR/janusgraph/conf"
  mkdir -p "$conf"
  render "$SERVICES_HOME/conf/janusgraph-server.yaml.in" "$conf/janusgraph-server.yaml" \
    "PORT=$JANUSGRAPH_PORT" "CONF_DIR=$conf" "LOG_DIR=$LOG_DIR"
  render "$SERVICES_HOME/conf/janusgraph-cql.properties.in" "$conf/janusgraph-cql.properties" \
    "CASSANDRA_PORT=$CASSANDRA_PORT" "KEYSPACE=$JANUSGRAPH_KEYSPACE"
  cp "$SERVICES_HOME/conf/janusgraph-init.groovy" "$conf/janusgraph-init.groovy"
  cp "$SERVICES_HOME/conf/janusgraph-log4j2.xml" "$conf/log4j2-server.xml"
}

start_janusgraph() {
  local base="$RUN_DIR/janusgraph"
  spawn_jvm_server janusgraph "$JANUSGRAPH_VERSION" "$JANUSGRAPH_HEAP" "$SERVICES_HOME/conf/janusgraph-jvm.options" \
    "-Dlog4j2.configurationFile=file:$base/conf/log4j2-server.xml" \
    -- org.janusgraph.graphdb.server.JanusGraphServer "$base/conf/janusgraph-server.yaml"
}

# ------------------------------------------------------------- opensearch --

# OpenSearch refuses to run as root: as root it runs as an unprivileged
# system user; as anyone else it runs as that user.
opensearch_runs_as_other_user() { [[ $EUID -eq 0 ]]; }

as_opensearch_user() {  # run a command as the OpenSearch user
  if opensearch_runs_as_other_user; then
    setpriv --reuid="$OPENSEARCH_USER" --regid="$OPENSEARCH_USER" --init-groups "$@"
  else
    "$@"
  fi
}

ensure_opensearch_user() {
  opensearch_runs_as_other_user || return 0
  if ! id -u "$OPENSEARCH_USER" >/dev/null 2>&1; then
    log "creating system user $OPENSEARCH_USER to run OpenSearch (it refuses to run as root)"
    useradd --system --user-group --home-dir /var/lib/"$OPENSEARCH_USER" \
      --shell /usr/sbin/nologin "$OPENSEARCH_USER" \
      || die "could not create user $OPENSEARCH_USER"
  fi
}

# Where OpenSearch keeps its config, data and logs. Normally $RUN_DIR/opensearch;
# if the OpenSearch user cannot reach $RUN_DIR (e.g. a checkout under /root),
# a directory of that user's under /var/lib is used instead (recorded in
# $RUN_DIR/opensearch.base so down --wipe finds it).
opensearch_base() {
  if [[ -s "$RUN_DIR/opensearch.base" ]]; then
    cat "$RUN_DIR/opensearch.base"
  else
    echo "$RUN_DIR/opensearch"
  fi
}

choose_opensearch_base() {
  local base="$RUN_DIR/opensearch"
  mkdir -p "$base"
  if opensearch_runs_as_other_user; then
    chown "$OPENSEARCH_USER:" "$base"
    if ! as_opensearch_user test -w "$base"; then
      base="/var/lib/$OPENSEARCH_USER/run-$(printf '%s' "$RUN_DIR" | sha1sum | cut -c1-12)"
      log "$OPENSEARCH_USER cannot reach $RUN_DIR; OpenSearch state goes to $base"
      mkdir -p "$base"
      chown "$OPENSEARCH_USER:" "$base" "/var/lib/$OPENSEARCH_USER"
    fi
  fi
  echo "$base" >"$RUN_DIR/opensearch.base"
}

opensearch_home() {
  if [[ -s "$RUN_DIR/opensearch.home" ]]; then
    cat "$RUN_DIR/opensearch.home"
  else
    echo "$CACHE_DIR/opensearch-$OPENSEARCH_VERSION"
  fi
}

OPENSEARCH_MODULES=(lang-painless analysis-common mapper-extras)

# Adds the standard distribution's lang-painless, analysis-common and
# mapper-extras modules (Maven Central jars + descriptors from
# services/conf/opensearch-modules) to the unzipped integ-test distribution.
install_opensearch_modules() {
  local home="$1" marker="$1/.c360-modules" tmp m
  [[ -f "$marker" ]] && return 0
  tmp="$CACHE_DIR/opensearch-modules-$OPENSEARCH_VERSION.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "adding OpenSearch modules ${OPENSEARCH_MODULES[*]} from Maven Central (first run only)"
  mvn_quiet "opensearch-modules-$OPENSEARCH_VERSION" \
    -f "$SERVICES_HOME/pom/opensearch-modules/pom.xml" -Dopensearch.version="$OPENSEARCH_VERSION" \
    "$MAVEN_DEPENDENCY_PLUGIN:copy-dependencies" \
    -DoutputDirectory="$tmp" -DincludeScope=runtime
  for m in "${OPENSEARCH_MODULES[@]}"; do
    rm -rf "${home:?}/modules/$m"
    mkdir -p "$home/modules/$m"
  done
  mv "$tmp"/analysis-common-*.jar "$home/modules/analysis-common/"
  mv "$tmp"/mapper-extras-client-*.jar "$home/modules/mapper-extras/"
  # lang-painless with its own dependencies (antlr, asm, painless-spi)
  mv "$tmp"/*.jar "$home/modules/lang-painless/"
  rm -rf "$tmp"
  for m in "${OPENSEARCH_MODULES[@]}"; do
    render "$SERVICES_HOME/conf/opensearch-modules/$m.properties" \
      "$home/modules/$m/plugin-descriptor.properties" "VERSION=$OPENSEARCH_VERSION"
  done
  cp "$SERVICES_HOME/conf/opensearch-modules/lang-painless.policy" \
    "$home/modules/lang-painless/plugin-security.policy"
  touch "$marker"
}

prepare_opensearch() {
  ensure_opensearch_user
  local home="$CACHE_DIR/opensearch-$OPENSEARCH_VERSION"
  if [[ ! -x "$home/bin/opensearch" ]]; then
    local zip="$M2_REPO/org/opensearch/distribution/integ-test-zip/opensearch/$OPENSEARCH_VERSION/opensearch-$OPENSEARCH_VERSION.zip"
    if [[ ! -s "$zip" ]]; then
      log "downloading OpenSearch $OPENSEARCH_VERSION from Maven Central (first run only)"
      mvn_quiet "opensearch-$OPENSEARCH_VERSION" "$MAVEN_DEPENDENCY_PLUGIN:get" \
        -Dartifact="org.opensearch.distribution.integ-test-zip:opensearch:$OPENSEARCH_VERSION:zip" \
        -Dtransitive=false
    fi
    [[ -s "$zip" ]] || die "OpenSearch zip missing after download: $zip"
    rm -rf "$home.tmp"
    mkdir -p "$home.tmp"
    unzip -q "$zip" -d "$home.tmp" || die "could not unzip $zip"
    rm -rf "$home"
    mv "$home.tmp/opensearch-$OPENSEARCH_VERSION" "$home"
    rm -rf "$home.tmp"
  fi
  install_opensearch_modules "$home"
  # the distribution must be readable by the user that runs it
  if opensearch_runs_as_other_user && ! as_opensearch_user test -r "$home/lib" ; then
    local copy="/var/lib/$OPENSEARCH_USER/opensearch-$OPENSEARCH_VERSION"
    log "$OPENSEARCH_USER cannot read $home; using a copy in $copy"
    mkdir -p "/var/lib/$OPENSEARCH_USER"
    [[ -x "$copy/bin/opensearch" ]] || { rm -rf "$copy"; cp -a "$home" "$copy"; }
    chown -R "$OPENSEARCH_USER:" "/var/lib/$OPENSEARCH_USER"
    home="$copy"
  fi
  echo "$home" >"$RUN_DIR/opensearch.home"

  choose_opensearch_base
  local base
  base="$(opensearch_base)"
  mkdir -p "$base/config" "$base/data" "$base/logs"
  render "$SERVICES_HOME/conf/opensearch.yml.in" "$base/config/opensearch.yml" \
    "BASE=$base" "HTTP_PORT=$OPENSEARCH_PORT" "TRANSPORT_PORT=$OPENSEARCH_TRANSPORT_PORT"
  # the distribution's jvm.options, with its relative paths made absolute
  sed -e "s|HeapDumpPath=data|HeapDumpPath=$base/data|" \
      -e "s|logs/|$base/logs/|g" \
      "$home/config/jvm.options" >"$base/config/jvm.options"
  mkdir -p "$base/config/jvm.options.d"
  cp "$home/config/log4j2.properties" "$base/config/log4j2.properties"
  if opensearch_runs_as_other_user; then
    chown -R "$OPENSEARCH_USER:" "$base"
  fi
}

start_opensearch() {
  local home base prefix=()
  home="$(opensearch_home)"
  base="$(opensearch_base)"
  if opensearch_runs_as_other_user; then
    prefix=(setpriv "--reuid=$OPENSEARCH_USER" "--regid=$OPENSEARCH_USER" --init-groups)
  fi
  cd "$base" || die "cannot enter $base"
  # bin/opensearch execs the JVM, so the recorded pid is the server's
  spawn opensearch "${prefix[@]}" env -i \
    PATH=/usr/local/bin:/usr/bin:/bin \
    HOME="$base" \
    LANG=C.UTF-8 \
    C360_SERVICE=opensearch C360_SERVICE_RUN_DIR="$RUN_DIR" \
    OPENSEARCH_JAVA_HOME="$JAVA_HOME" \
    OPENSEARCH_PATH_CONF="$base/config" \
    OPENSEARCH_JAVA_OPTS="-Xms$OPENSEARCH_HEAP -Xmx$OPENSEARCH_HEAP" \
    "$home/bin/opensearch"
  cd - >/dev/null || true
}
