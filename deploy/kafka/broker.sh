#!/usr/bin/env bash
# Local single-node Apache Kafka broker (KRaft, no ZooKeeper, no Docker) on loopback.
#
#   deploy/kafka/broker.sh fetch                 resolve the broker jars from Maven Central (cached)
#   deploy/kafka/broker.sh start [PORT]          format storage, start, wait until it answers;
#                                                prints the bootstrap address on stdout
#   deploy/kafka/broker.sh stop                  stop it cleanly (SIGTERM, then SIGKILL after 30 s)
#   deploy/kafka/broker.sh restart               stop and start again, same port, same data
#   deploy/kafka/broker.sh status                exit 0 when it is running
#
# Environment: CL_KAFKA_HOME (state: pid, logs, data; default .cache/kafka in the repo),
# CL_KAFKA_LIB (jar cache; default ~/.cache/channel-ledger/kafka-<version>),
# CL_KAFKA_HEAP (default 512m). The Kafka version is pinned in pom.xml beside this script.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
lib=${CL_KAFKA_LIB:-${XDG_CACHE_HOME:-$HOME/.cache}/channel-ledger/kafka-$version}
home=${CL_KAFKA_HOME:-$repo/.cache/kafka}
heap=${CL_KAFKA_HEAP:-512m}
pidfile=$home/broker.pid
java_opts=(-Xms256m "-Xmx$heap" -XX:+UseG1GC -XX:TieredStopAtLevel=1
           "-Dlog4j.configuration=file:$home/log4j.properties")

log() { echo "broker.sh: $*" >&2; }

fetch() {
  if [ -f "$lib/.complete" ]; then return 0; fi
  command -v mvn >/dev/null || { log "Maven (mvn) is needed to fetch the Kafka jars"; exit 1; }
  command -v java >/dev/null || { log "Java 17+ is needed to run the Kafka broker"; exit 1; }
  log "fetching Apache Kafka $version jars from Maven Central into $lib"
  mkdir -p "$lib"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$lib" -DincludeScope=runtime >&2
  touch "$lib/.complete"
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

start() {
  fetch
  if running; then cat "$home/bootstrap"; return 0; fi
  local port=${1:-$(free_port)} cport
  cport=$(free_port)
  rm -rf "$home"; mkdir -p "$home/data" "$home/logs"
  cat > "$home/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$home/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.segment.bytes=67108864
message.max.bytes=33554432
PROPS
  cat > "$home/log4j.properties" <<PROPS
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$home/logs/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
PROPS
  java -cp "$lib/*" "${java_opts[@]}" kafka.tools.StorageTool format \
       -t "$(java -cp "$lib/*" "${java_opts[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)" \
       -c "$home/server.properties" >"$home/logs/format.log" 2>&1
  echo "$port" > "$home/port"
  launch "$port"
}

# Start the broker on the formatted storage in $home and wait until it answers.
launch() {
  local port=$1
  : > "$home/logs/server.log"
  # The broker's collector pauses go to logs/gc.log, with times, so that a stall seen in the
  # workers can be checked against them.
  nohup java -cp "$lib/*" "${java_opts[@]}" "-Xlog:gc:file=$home/logs/gc.log:time,uptime" \
       kafka.Kafka "$home/server.properties" \
       >>"$home/logs/stdout.log" 2>&1 &
  echo $! > "$pidfile"
  # Ready when the broker logs that it started and the port accepts connections.
  local deadline=$((SECONDS + 120))
  until grep -q "Kafka Server started" "$home/logs/server.log" 2>/dev/null \
        && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ! running; then log "broker exited during start; see $home/logs"; tail -20 "$home/logs/stdout.log" >&2; exit 1; fi
    if [ $SECONDS -ge $deadline ]; then log "broker did not start within 120 s"; stop; exit 1; fi
    sleep 0.2
  done
  echo "127.0.0.1:$port" > "$home/bootstrap"
  log "Kafka $version (KRaft) up at 127.0.0.1:$port, state in $home"
  echo "127.0.0.1:$port"
}

# Stop and start again on the same port and data: topics, offsets and groups survive.
restart() {
  [ -f "$home/port" ] || { log "no broker state in $home to restart"; exit 1; }
  stop
  launch "$(cat "$home/port")"
}

stop() {
  running || { rm -f "$pidfile"; return 0; }
  local pid; pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && { log "broker did not stop in 30 s; killing"; kill -KILL "$pid" || true; }
  rm -f "$pidfile"
  log "broker stopped"
}

case "${1:-}" in
  fetch) fetch ;;
  start) shift; start "$@" ;;
  stop) stop ;;
  restart) restart ;;
  status) running ;;
  *) echo "usage: $0 fetch|start [PORT]|stop|restart|status" >&2; exit 2 ;;
esac
