#!/usr/bin/env bash
# Runs the README's test command several times in a row while other processes keep every core busy, and prints each
# run's duration and result: the suite must pass on a busy machine, every time.
#
#   bash tests/under-load.sh                  the README's command (bash tests/setup.sh && dotnet test ExtensionCache.sln), 3 runs
#   bash tests/under-load.sh 5                5 runs
#   bash tests/under-load.sh 2 -- dotnet test tests/LambdaEmulator.Tests    any other command, e.g. one test project
#
# The load is one busy process per core (LOAD_WORKERS=N to change it): `stress-ng --cpu N` when it is installed,
# else N × `yes > /dev/null`. It is stopped when the script ends, however it ends. Each run's output goes to
# artifacts/under-load/run-<n>.log. Exit status: 0 only if every run passed.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

runs=3
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  runs=$1
  shift
fi
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "under-load: the number of runs must be a whole number of at least 1, got '$runs'" >&2
  exit 2
fi
if [ $# -gt 0 ]; then
  if [ "$1" != "--" ] || [ $# -eq 1 ]; then
    echo "usage: bash tests/under-load.sh [RUNS] [-- COMMAND [ARGS...]]" >&2
    exit 2
  fi
  shift
  command=("$@")
else
  # The README's test command, exactly.
  command=(bash -c 'bash tests/setup.sh && dotnet test ExtensionCache.sln')
fi

workers=${LOAD_WORKERS:-$(nproc)}
if ! [[ "$workers" =~ ^[1-9][0-9]*$ ]]; then
  echo "under-load: LOAD_WORKERS must be a whole number of at least 1, got '$workers'" >&2
  exit 2
fi

load_pids=()
run_pid=
stop_load() {
  if [ -n "$run_pid" ]; then
    kill "$run_pid" 2>/dev/null || true
  fi
  if [ ${#load_pids[@]} -gt 0 ]; then
    kill "${load_pids[@]}" 2>/dev/null || true
    wait "${load_pids[@]}" 2>/dev/null || true
    load_pids=()
  fi
}
trap stop_load EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if command -v stress-ng >/dev/null 2>&1; then
  stress-ng --cpu "$workers" --quiet &
  load_pids+=($!)
  load="stress-ng --cpu $workers"
else
  for _ in $(seq "$workers"); do
    yes > /dev/null &
    load_pids+=($!)
  done
  load="$workers × yes > /dev/null"
fi

logs=artifacts/under-load
mkdir -p "$logs"
echo "under-load: $runs run(s) of: ${command[*]}"
echo "under-load: load: $load (pids ${load_pids[*]}), $(nproc) cores"

failed=0
summary=()
for run in $(seq "$runs"); do
  log="$logs/run-$run.log"
  echo "under-load: run $run/$runs started $(date +%H:%M:%S), load average $(cut -d' ' -f1-3 /proc/loadavg) (log: $log)"
  started=$(date +%s)
  # In the background so that an interrupt stops it too (the EXIT trap), not only the load.
  "${command[@]}" > "$log" 2>&1 &
  run_pid=$!
  set +e
  wait "$run_pid"
  status=$?
  set -e
  run_pid=
  seconds=$(( $(date +%s) - started ))
  duration=$(printf '%dm%02ds' $((seconds / 60)) $((seconds % 60)))
  # dotnet test prints one line per test assembly ("Passed!  - Failed: 0, Passed: 58, ...").
  grep -E '^(Passed|Failed)! ' "$log" | sed 's/^/    /' || true
  if [ "$status" -eq 0 ]; then
    result=passed
  else
    result="FAILED (exit $status)"
    failed=$((failed + 1))
    grep -E '^\s+Failed [A-Za-z]' "$log" | sed 's/^ */    failed: /' || true
  fi
  line="run $run/$runs: $result in $duration"
  summary+=("$line")
  echo "under-load: $line, load average $(cut -d' ' -f1-3 /proc/loadavg)"
done

stop_load
echo "under-load: summary ($load, $(nproc) cores):"
printf '  %s\n' "${summary[@]}"
if [ "$failed" -gt 0 ]; then
  echo "under-load: $failed of $runs run(s) failed; logs in $logs/" >&2
  exit 1
fi
echo "under-load: all $runs run(s) passed"
