#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# byteor-bridge's tests against real NATS servers (nats-server -js) started
# here on free loopback ports, storage in a temp directory, all stopped at
# the end.  Journals live in two userspace-backing directories (A: the
# source host's, B: the destination's).
#
#   scripts/bridge-tests.sh                 every test (make check-bridge)
#   scripts/bridge-tests.sh crash failover  only those
#   BRIDGE_RECORDS=100000 scripts/bridge-tests.sh end_to_end    fewer records
#   scripts/bridge-tests.sh bench           the benchmark (make bench)
#   SAN=asan scripts/bridge-tests.sh        every program under ASan + UBSan
#
# Tests assert contents and counters, never timings; every wait has a
# generous deadline.  The run ends with one "N passed, N failed" line.
set -uo pipefail

cd "$(dirname "$0")/.."
top=$PWD
BUILD=${BUILD:-$top/build}
N=${BRIDGE_RECORDS:-1000000}		# end to end
NC=${BRIDGE_CRASH_RECORDS:-50000}	# crash, failover
KILLS=${BRIDGE_KILLS:-24}
SAN=${SAN:-}
B=$BUILD/bridge${SAN:+-$SAN}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=86}

make -s -C ulib lib SAN="$SAN" >/dev/null || exit 1
make -s -C bridge SAN="$SAN" >/dev/null || exit 1
command -v nats-server >/dev/null || {
	echo "bridge-tests: nats-server missing (scripts/deps.sh installs it)" >&2
	exit 1
}

tmp=$(mktemp -d /tmp/byteor-bridge.XXXXXX)
declare -A bg=()	# pid -> what, for the ones still running
cleanup() {
	local p
	for p in "${!bg[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "${BRIDGE_KEEP:-}" ] && echo "bridge-tests: kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
say() { echo "bridge-tests: $*"; }
fail() { echo "  FAIL: $*"; return 1; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() { # port seconds
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

start_bg() { # what log cmd...
	local what=$1 log=$2
	shift 2
	"$@" >>"$log" 2>&1 &
	bg[$!]=$what
	last_pid=$!
}

stop() { # pid [signal]
	[ -n "${1:-}" ] || return 0
	kill -"${2:-TERM}" "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	local rc=$?
	unset "bg[$1]"
	return $rc
}

# A single JetStream server: sets url, srv_pid.
nats_single() { # dir
	local port
	port=$(free_port)
	mkdir -p "$1/js"
	start_bg nats "$1/nats.log" nats-server -js -a 127.0.0.1 -p "$port" -sd "$1/js"
	srv_pid=$last_pid
	url=nats://127.0.0.1:$port
	wait_port "$port" 20 || { fail "nats-server did not listen on $port"; return 1; }
}

# A 3-node JetStream cluster: sets url (all three), node_pid[], node_mon[].
nats_cluster() { # dir
	local d=$1 i ports=() cports=() mports=() routes
	for i in 0 1 2; do
		ports[i]=$(free_port); cports[i]=$(free_port); mports[i]=$(free_port)
	done
	routes="nats-route://127.0.0.1:${cports[0]}, nats-route://127.0.0.1:${cports[1]}, nats-route://127.0.0.1:${cports[2]}"
	url=
	for i in 0 1 2; do
		mkdir -p "$d/n$i"
		cat >"$d/n$i.conf" <<EOC
server_name: n$i
listen: 127.0.0.1:${ports[i]}
http: 127.0.0.1:${mports[i]}
jetstream { store_dir: "$d/n$i" }
cluster {
  name: bridge-test
  listen: 127.0.0.1:${cports[i]}
  routes: [ $routes ]
}
EOC
		start_bg "nats n$i" "$d/n$i.log" nats-server -c "$d/n$i.conf"
		node_pid[i]=$last_pid
		node_mon[i]=${mports[i]}
		url=${url:+$url,}nats://127.0.0.1:${ports[i]}
	done
	for i in 0 1 2; do
		wait_port "${ports[i]}" 30 || { fail "node n$i did not listen"; return 1; }
	done
}

# The server name leading @stream, from any live node's /jsz.
stream_leader() { # stream
	local i
	for i in 0 1 2; do
		[ -n "${bg[${node_pid[i]}]:-}" ] || continue
		python3 - "${node_mon[i]}" "$1" <<'EOP' && return 0
import json, sys, urllib.request
port, stream = sys.argv[1], sys.argv[2]
u = "http://127.0.0.1:%s/jsz?accounts=true&streams=true" % port
j = json.load(urllib.request.urlopen(u, timeout=5))
for a in j.get("account_details", []):
    for s in a.get("stream_detail", []) or []:
        if s.get("name") == stream and s.get("cluster", {}).get("leader"):
            print(s["cluster"]["leader"]); sys.exit(0)
sys.exit(1)
EOP
	done
	return 1
}

# A sanitizer's report in any log fails the test (SAN=asan).
sanitizer_reports() {
	grep -l 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' \
		"$tmp"/*/*.log 2>/dev/null | sed 's/^/  FAIL: a sanitizer report in /' | grep .
}

wait_file() { # file seconds
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

metric() { # file name
	awk -v n="byteor_bridge_$2" '$1 ~ "^"n"[{]" { print $2 }' "$1"
}

# Journals A and B, the out and in bridges' common flags.
journals() { # dir capacity
	mkdir -p "$1/a" "$1/b"
	"$B/bridge_journal" create "$1/a" A "$2" &&
		"$B/bridge_journal" create "$1/b" B "$2"
}
out_args() { # dir stream
	echo out --journal A --dir "$1/a" --stream "$2" --subject "bt.$2" \
		--checkpoint "$1/out.ckpt" --server "$url" --create-stream \
		--metrics "$1/out.prom" --ack-timeout-ms 3000 --connect-timeout-ms 30000
}
in_args() { # dir stream
	echo in --journal B --dir "$1/b" --stream "$2" --subject "bt.$2" \
		--checkpoint "$1/in.ckpt" --server "$url" --metrics "$1/in.prom" \
		--ack-wait-ms 1000 --connect-timeout-ms 30000
}

# Out first (it creates the stream), in once out has checkpointed.
start_bridges() { # dir stream [extra out args]
	local d=$1 s=$2
	shift 2
	# shellcheck disable=SC2046
	start_bg out "$d/out.log" "$B/byteor-bridge" $(out_args "$d" "$s") "$@"
	out_pid=$last_pid
	wait_file "$d/out.ckpt" 60 || { fail "out did not start: $(tail -3 "$d/out.log")"; return 1; }
	# shellcheck disable=SC2046
	start_bg in "$d/in.log" "$B/byteor-bridge" $(in_args "$d" "$s")
	in_pid=$last_pid
	wait_file "$d/in.ckpt" 60 || { fail "in did not start: $(tail -3 "$d/in.log")"; return 1; }
}

stop_bridges() { # dir
	local rc=0
	stop "$out_pid" TERM || { fail "out exited $? at SIGTERM: $(tail -3 "$1/out.log")"; rc=1; }
	stop "$in_pid" TERM || { fail "in exited $? at SIGTERM: $(tail -3 "$1/in.log")"; rc=1; }
	return $rc
}

# ---------------------------------------------------------------------------

t_end_to_end_journals_compare_equal() {
	local d=$tmp/e2e t0 t1
	mkdir -p "$d"
	nats_single "$d" || return 1
	journals "$d" $((512 << 20)) || return 1
	start_bridges "$d" E2E || return 1
	t0=$(date +%s.%N)
	"$B/bridge_journal" pub "$d/a" A 0 "$N" || return 1
	# SIGUSR1: the metrics, while running.
	kill -USR1 "$in_pid"
	wait_file "$d/in.prom" 30 || fail "no metrics after SIGUSR1" || return 1
	grep -q '^# TYPE byteor_bridge_lag_seconds gauge$' "$d/in.prom" ||
		fail "the metrics are not in the text exposition format" || return 1
	"$B/bridge_journal" wait "$d/b" B "$N" 600 || return 1
	t1=$(date +%s.%N)
	stop_bridges "$d" || return 1
	"$B/bridge_journal" compare "$d/a" A "$d/b" B "$N" || return 1
	[ "$(metric "$d/out.prom" records_total)" = "$N" ] ||
		fail "out's records_total is $(metric "$d/out.prom" records_total), not $N" || return 1
	[ "$(metric "$d/in.prom" records_total)" = "$N" ] ||
		fail "in's records_total is $(metric "$d/in.prom" records_total), not $N" || return 1
	[ "$(metric "$d/in.prom" gaps_total)" = 0 ] || fail "in reports gaps" || return 1
	say "  $N records of 16-512 B A -> JetStream -> B in $(echo "$t1 - $t0" | bc) s"
	stop "$srv_pid" || true
}

# Killed between an append and its checkpoint, the in side appends
# nothing twice when restarted.
t_help_and_bad_flags_are_clear() {
	local out rc
	out=$("$B/byteor-bridge" --help) || fail "--help exited $?" || return 1
	grep -q '^usage: byteor-bridge out|in' <<<"$out" || fail "no usage: $out" || return 1
	out=$("$B/byteor-bridge" out --journal A --stream S --checkpoint c --window x 2>&1)
	rc=$?
	[ $rc = 2 ] || fail "a bad --window exited $rc, not 2" || return 1
	grep -q -- "--window: 'x' is not a number" <<<"$out" || fail "no clear error: $out" || return 1
	out=$("$B/byteor-bridge" sideways 2>&1)
	[ $? = 2 ] || fail "a bad direction did not exit 2" || return 1
}

t_in_killed_between_append_and_checkpoint_appends_nothing_twice() {
	local d=$tmp/kill-in n=5000 rc
	mkdir -p "$d"
	nats_single "$d" || return 1
	journals "$d" $((16 << 20)) || return 1
	start_bridges "$d" KILLIN || return 1
	stop "$in_pid" TERM
	rm -f "$d/in.ckpt"
	"$B/bridge_journal" pub "$d/a" A 0 "$n" || return 1
	# shellcheck disable=SC2046
	{ (BYTEOR_BRIDGE_KILL_AFTER=1234 exec "$B/byteor-bridge" $(in_args "$d" KILLIN) \
		>>"$d/in.log" 2>&1); } 2>/dev/null
	rc=$?
	[ $rc = 137 ] || fail "the in bridge was not killed at its crash point (exit $rc)" || return 1
	[ "$("$B/bridge_journal" count "$d/b" B)" -ge 1234 ] || fail "fewer than 1234 appended" || return 1
	# shellcheck disable=SC2046
	start_bg in "$d/in.log" "$B/byteor-bridge" $(in_args "$d" KILLIN)
	in_pid=$last_pid
	"$B/bridge_journal" wait "$d/b" B "$n" 120 || return 1
	sleep 1
	stop_bridges "$d" || return 1
	grep -q 'appended after the last checkpoint' "$d/in.log" ||
		fail "the restart did not count the records appended after the checkpoint" || return 1
	"$B/bridge_journal" compare "$d/a" A "$d/b" B "$n" || return 1
	stop "$srv_pid" || true
}

t_unreachable_server_fails_clearly_and_leaves_the_checkpoint() {
	local d=$tmp/unreach port out rc
	mkdir -p "$d"
	journals "$d" $((1 << 20)) || return 1
	port=$(free_port)
	url=nats://127.0.0.1:$port
	# shellcheck disable=SC2046
	out=$("$B/byteor-bridge" $(out_args "$d" U) --connect-timeout-ms 500 2>&1)
	rc=$?
	[ $rc = 1 ] || fail "out exited $rc, not 1" || return 1
	grep -q "cannot reach the NATS server" <<<"$out" || fail "no clear error: $out" || return 1
	[ ! -e "$d/out.ckpt" ] || fail "a checkpoint was written" || return 1
	# With a checkpoint: it stays byte for byte.
	printf 'x' >"$d/in.ckpt.orig"
	"$B/bridge_journal" pub "$d/a" A 0 10 || return 1
	cp "$d/in.ckpt.orig" "$d/in.ckpt"
	# shellcheck disable=SC2046
	out=$("$B/byteor-bridge" $(in_args "$d" U) --connect-timeout-ms 500 2>&1)
	rc=$?
	[ $rc = 1 ] || fail "in exited $rc, not 1" || return 1
	cmp -s "$d/in.ckpt" "$d/in.ckpt.orig" || fail "the checkpoint changed" || return 1
	[ "$("$B/bridge_journal" count "$d/b" B)" = 0 ] || fail "B changed" || return 1
}

t_missing_stream_fails_clearly() {
	local d=$tmp/nostream out rc
	mkdir -p "$d"
	nats_single "$d" || return 1
	journals "$d" $((1 << 20)) || return 1
	# shellcheck disable=SC2046
	out=$("$B/byteor-bridge" $(out_args "$d" NOPE | sed 's/--create-stream//') 2>&1)
	rc=$?
	[ $rc = 1 ] || fail "out exited $rc, not 1" || return 1
	grep -q "stream 'NOPE' not found" <<<"$out" || fail "no clear error: $out" || return 1
	[ ! -e "$d/out.ckpt" ] || fail "out wrote a checkpoint" || return 1
	# shellcheck disable=SC2046
	out=$("$B/byteor-bridge" $(in_args "$d" NOPE) 2>&1)
	rc=$?
	[ $rc = 1 ] || fail "in exited $rc, not 1" || return 1
	grep -q "stream 'NOPE' not found" <<<"$out" || fail "no clear error: $out" || return 1
	[ ! -e "$d/in.ckpt" ] || fail "in wrote a checkpoint" || return 1
	stop "$srv_pid" || true
}

t_missing_journal_fails_clearly() {
	local d=$tmp/nojournal out rc
	mkdir -p "$d/a" "$d/b"
	url=nats://127.0.0.1:1
	# shellcheck disable=SC2046
	out=$("$B/byteor-bridge" $(out_args "$d" J) 2>&1)
	rc=$?
	[ $rc = 1 ] || fail "out exited $rc, not 1" || return 1
	grep -q "journal 'A' in .*: no such region" <<<"$out" || fail "no clear error: $out" || return 1
	# shellcheck disable=SC2046
	out=$("$B/byteor-bridge" $(in_args "$d" J) 2>&1)
	rc=$?
	[ $rc = 1 ] || fail "in exited $rc, not 1" || return 1
	grep -q "journal 'B' in .*: no such region" <<<"$out" || fail "no clear error: $out" || return 1
	[ ! -e "$d/out.ckpt" ] && [ ! -e "$d/in.ckpt" ] || fail "a checkpoint was written" || return 1
}

# A checkpoint of another region instance (the journal re-created, or
# another bridge's file) is refused and left as it is.
t_checkpoint_of_another_region_is_refused_and_unchanged() {
	local d=$tmp/mismatch out rc
	mkdir -p "$d"
	nats_single "$d" || return 1
	journals "$d" $((1 << 20)) || return 1
	start_bridges "$d" MM || return 1
	"$B/bridge_journal" pub "$d/a" A 0 100 || return 1
	"$B/bridge_journal" wait "$d/b" B 100 60 || return 1
	stop_bridges "$d" || return 1
	cp "$d/out.ckpt" "$d/out.ckpt.orig"
	cp "$d/in.ckpt" "$d/in.ckpt.orig"
	# Re-create A: same name, another generation.
	rm -f "$d/a/byteor.A"
	"$B/bridge_journal" create "$d/a" A $((1 << 20)) || return 1
	# shellcheck disable=SC2046
	out=$("$B/byteor-bridge" $(out_args "$d" MM) 2>&1)
	rc=$?
	[ $rc = 1 ] || fail "out exited $rc, not 1" || return 1
	grep -q "checkpoint .* belongs to 'out' of journal 'A' generation" <<<"$out" ||
		fail "no clear error: $out" || return 1
	cmp -s "$d/out.ckpt" "$d/out.ckpt.orig" || fail "out's checkpoint changed" || return 1
	# The in side given the out side's checkpoint.
	cp "$d/out.ckpt" "$d/in.ckpt"
	# shellcheck disable=SC2046
	out=$("$B/byteor-bridge" $(in_args "$d" MM) 2>&1)
	rc=$?
	[ $rc = 1 ] || fail "in exited $rc, not 1" || return 1
	grep -q "belongs to 'out' of journal 'A'" <<<"$out" || fail "no clear error: $out" || return 1
	cmp -s "$d/in.ckpt" "$d/out.ckpt.orig" || fail "the checkpoint changed" || return 1
	# A corrupt checkpoint: refused, unchanged.
	sed 's/^position .*/position 8/' "$d/in.ckpt.orig" >"$d/in.ckpt"
	cp "$d/in.ckpt" "$d/in.ckpt.bad"
	# shellcheck disable=SC2046
	out=$("$B/byteor-bridge" $(in_args "$d" MM) 2>&1)
	rc=$?
	[ $rc = 1 ] || fail "in exited $rc on a corrupt checkpoint, not 1" || return 1
	grep -q "corrupt" <<<"$out" || fail "no clear error: $out" || return 1
	cmp -s "$d/in.ckpt" "$d/in.ckpt.bad" || fail "the corrupt checkpoint changed" || return 1
	[ "$("$B/bridge_journal" count "$d/b" B)" = 100 ] || fail "B changed" || return 1
	stop "$srv_pid" || true
}

# The out side lapped by its journal: a log line, the gap metric and a gap
# marker record in B; what follows the gap still arrives.
t_lap_is_reported_as_a_gap_marker() {
	local d=$tmp/lap out
	mkdir -p "$d"
	nats_single "$d" || return 1
	journals "$d" 65536 || return 1
	start_bridges "$d" LAP || return 1
	"$B/bridge_journal" pub "$d/a" A 0 10 || return 1
	"$B/bridge_journal" wait "$d/b" B 10 60 || return 1
	stop "$out_pid" TERM || return 1
	# 2000 records of ~264 B: several laps of the 64 KiB journal.
	"$B/bridge_journal" pub "$d/a" A 10 2000 || return 1
	# shellcheck disable=SC2046
	start_bg out "$d/out.log" "$B/byteor-bridge" $(out_args "$d" LAP)
	out_pid=$last_pid
	"$B/bridge_journal" wait "$d/b" B 11 60 || return 1
	sleep 2
	stop_bridges "$d" || return 1
	grep -q "out: GAP: source positions" "$d/out.log" || fail "no gap line in out's log" || return 1
	grep -q "in: GAP: source positions" "$d/in.log" || fail "no gap line in in's log" || return 1
	[ "$(metric "$d/out.prom" gaps_total)" = 1 ] || fail "out's gaps_total is not 1" || return 1
	[ "$(metric "$d/in.prom" gaps_total)" = 1 ] || fail "in's gaps_total is not 1" || return 1
	out=$("$B/bridge_journal" gaps "$d/b" B 2>/dev/null)
	grep -q "gaps 1$" <<<"$out" || fail "B holds no gap marker: $out" || return 1
	stop "$srv_pid" || true
}

# SIGKILL each bridge at random points while records flow.
t_crash_bridges_killed_at_random_journals_still_equal() {
	local d=$tmp/crash n=$NC k pub_pid
	mkdir -p "$d"
	nats_single "$d" || return 1
	journals "$d" $((256 << 20)) || return 1
	start_bridges "$d" CRASH || return 1
	RANDOM=7
	start_bg pub "$d/pub.log" "$B/bridge_journal" pub "$d/a" A 0 "$n" $((n / 15))
	pub_pid=$last_pid
	for ((k = 0; k < KILLS; k++)); do
		sleep "0.$((RANDOM % 6 + 2))"
		if ((k % 2)); then
			stop "$out_pid" KILL
			# shellcheck disable=SC2046
			start_bg out "$d/out.log" "$B/byteor-bridge" $(out_args "$d" CRASH)
			out_pid=$last_pid
		else
			stop "$in_pid" KILL
			# shellcheck disable=SC2046
			start_bg in "$d/in.log" "$B/byteor-bridge" $(in_args "$d" CRASH)
			in_pid=$last_pid
		fi
	done
	stop "$pub_pid" 0 || fail "the publisher failed" || return 1
	wait "$pub_pid" 2>/dev/null
	"$B/bridge_journal" wait "$d/b" B "$n" 300 || return 1
	sleep 1
	stop_bridges "$d" || return 1
	"$B/bridge_journal" compare "$d/a" A "$d/b" B "$n" || return 1
	say "  $KILLS kills; in: $(grep -c 'appended after the last checkpoint' "$d/in.log") restart(s) skipped records a killed run had appended; out: $(grep -c '(checkpoint)' "$d/out.log") restart(s) from its checkpoint"
	stop "$srv_pid" || true
}

# A 3-node cluster, an R3 stream; the stream's leader is killed mid-stream.
t_failover_leader_killed_bridges_continue() {
	local d=$tmp/failover n=$NC leader i pub_pid
	mkdir -p "$d"
	nats_cluster "$d" || return 1
	journals "$d" $((256 << 20)) || return 1
	start_bridges "$d" FO --replicas 3 || return 1
	start_bg pub "$d/pub.log" "$B/bridge_journal" pub "$d/a" A 0 "$n" $((n / 12))
	pub_pid=$last_pid
	"$B/bridge_journal" wait "$d/b" B $((n / 4)) 300 || return 1
	leader=$(stream_leader FO) || { fail "no stream leader found"; return 1; }
	i=${leader#n}
	say "  killing the stream leader $leader after $("$B/bridge_journal" count "$d/b" B) records"
	stop "${node_pid[i]}" KILL
	stop "$pub_pid" 0
	wait "$pub_pid" 2>/dev/null
	"$B/bridge_journal" wait "$d/b" B "$n" 300 || return 1
	sleep 1
	stop_bridges "$d" || return 1
	"$B/bridge_journal" compare "$d/a" A "$d/b" B "$n" || return 1
	say "  new leader $(stream_leader FO || echo ?); out: $(metric "$d/out.prom" errors_total) failed publication(s), $(metric "$d/out.prom" redeliveries_total) record(s) published again; in: $(metric "$d/in.prom" duplicates_total) duplicate(s) skipped"
	for i in 0 1 2; do stop "${node_pid[i]}" || true; done
}

# make bench: records/s and latency through the bridge and, as the
# reference, the same records through a plain NATS publish.
bench() {
	local n=${BRIDGE_BENCH_RECORDS:-200000} l=${BRIDGE_BENCH_LATENCY:-20000}
	local rate=${BRIDGE_BENCH_RATE:-5000} size d t0 t1 thr lat lat_pid rc=0 k
	say "bench: $n records flat out, then $l records at $rate/s for latency; nats-server $(nats-server --version | awk '{print $2}') on loopback, $(nproc) CPU(s)"
	printf '%-34s %6s %12s  %s\n' path size records/s "latency (append at A -> read at B; publish -> receive)"
	for size in 64 512; do
		d=$tmp/bench$size
		mkdir -p "$d"
		nats_single "$d" || return 1
		journals "$d" $((512 << 20)) || return 1
		start_bridges "$d" BENCH$size || return 1
		t0=$(date +%s.%N)
		"$B/bridge_journal" pub "$d/a" A 0 "$n" 0 "$size" "$size" || return 1
		"$B/bridge_journal" wait "$d/b" B "$n" 900 || return 1
		t1=$(date +%s.%N)
		thr=$(echo "$n / ($t1 - $t0)" | bc)
		rm -f "$d/ready"
		start_bg lat "$d/lat.out" "$B/bridge_journal" latency "$d/b" B "$l" "$d/ready"
		lat_pid=$last_pid
		for ((k = 0; k < 300; k++)); do [ -e "$d/ready" ] && break; sleep 0.1; done
		"$B/bridge_journal" pub "$d/a" A "$n" "$l" "$rate" "$size" "$size" || return 1
		stop "$lat_pid" 0 || rc=1
		wait "$lat_pid" 2>/dev/null
		lat=$(tail -1 "$d/lat.out")
		stop_bridges "$d" || rc=1
		"$B/bridge_journal" compare "$d/a" A "$d/b" B $((n + l)) >/dev/null || rc=1
		printf '%-34s %6s %12s  %s\n' "journal -> bridge -> JetStream R1" "$size" "$thr" "$lat (at $rate/s)"
		thr=$("$B/bridge_natsref" "$url" "$n" "$size" 0)
		lat=$("$B/bridge_natsref" "$url" "$l" "$size" "$rate")
		printf '%-34s %6s %12s  %s\n' "plain NATS publish (reference)" "$size" \
			"$(awk '{print $1}' <<<"$thr")" "$(cut -d' ' -f3- <<<"$lat") (at $rate/s); flat out: $(grep -o '([0-9]* of [0-9]* arrived)' <<<"$thr")"
		stop "$srv_pid" || true
		[ -n "${BRIDGE_KEEP:-}" ] || rm -rf "$d"
	done
	return $rc
}

tests=(
	help_and_bad_flags_are_clear
	end_to_end_journals_compare_equal
	in_killed_between_append_and_checkpoint_appends_nothing_twice
	unreachable_server_fails_clearly_and_leaves_the_checkpoint
	missing_stream_fails_clearly
	missing_journal_fails_clearly
	checkpoint_of_another_region_is_refused_and_unchanged
	lap_is_reported_as_a_gap_marker
	crash_bridges_killed_at_random_journals_still_equal
	failover_leader_killed_bridges_continue
)

if [ "${1:-}" = bench ]; then
	bench
	exit
fi
if [ $# -gt 0 ]; then
	sel=()
	for a in "$@"; do
		for t in "${tests[@]}"; do
			case $t in *"$a"*) sel+=("$t");; esac
		done
	done
	tests=("${sel[@]}")
fi

# The parts that need no server (bridge/tests/bridge_unit.c), TAP: every
# planned test must report, and the program must exit 0.
if [ $# -eq 0 ] || [[ " $* " == *" unit "* ]]; then
	seen=0
	plan=
	while read -r line; do
		case $line in
		"ok "*) passed=$((passed + 1)); seen=$((seen + 1)); echo "$line";;
		"not ok "*) failed=$((failed + 1)); seen=$((seen + 1)); echo "$line";;
		1..*) plan=${line#1..};;
		"exit "*)
			if [ "${line#exit }" != 0 ] || [ "$plan" != "$seen" ]; then
				echo "not ok bridge_unit exited ${line#exit } after $seen of ${plan:-?} tests"
				tail -5 "$tmp/unit.log"
				failed=$((failed + 1))
			fi;;
		esac
	done < <("$B/bridge_unit" 2>"$tmp/unit.log"; echo "exit $?")
fi

say "nats-server $(nats-server --version | awk '{print $2}'), $N records end to end (BRIDGE_RECORDS), $NC under kills and failover (BRIDGE_CRASH_RECORDS), temp $tmp"
for t in "${tests[@]}"; do
	start=$SECONDS
	if "t_$t" && ! sanitizer_reports; then
		echo "ok $t ($((SECONDS - start)) s)"
		passed=$((passed + 1))
	else
		echo "not ok $t ($((SECONDS - start)) s)"
		for f in "$tmp"/*/*.log; do
			[ -e "$f" ] && { echo "  --- ${f#"$tmp"/}"; tail -5 "$f" | sed 's/^/  /'; }
		done
		failed=$((failed + 1))
	fi
	# Whatever a failed test left running.
	for p in "${!bg[@]}"; do stop "$p" KILL; done
	[ -n "${BRIDGE_KEEP:-}" ] || rm -rf "${tmp:?}"/*
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
