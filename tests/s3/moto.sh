# Sourced by tests/s3/run.sh and bench/s3.sh: a moto S3 server on loopback.
# Needs $py (the venv's python) and $venv.

# A free TCP port on 127.0.0.1.
free_port() {
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_moto PORT LOG: starts moto_server on 127.0.0.1:PORT in the background
# (extra environment, e.g. INITIAL_NO_AUTH_ACTION_COUNT=0, is passed on),
# sets $moto_pid and waits (at most 10 s) until it accepts connections.
start_moto() {
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$1" >"$2" 2>&1 &
  moto_pid=$!
  for _ in $(seq 1 100); do
    "$py" -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "moto did not start on port $1: $(tail -3 "$2")" >&2
  return 1
}

# stop_moto PID: stops a server start_moto started.
stop_moto() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
