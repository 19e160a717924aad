# Shared by the checker self-tests (checker-selftest.sh, storm-checker-selftest.sh), sourced
# after they set `good` (recorded results) and define run_checker DIR OUT [ARGS...].
# shellcheck shell=bash
work=$(mktemp -d "${TMPDIR:-/tmp}/lifetrace-selftest.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0 passes=0

# expect NAME WANT_RC MESSAGE-SUBSTRING [CHECKER ARGS...]: runs the checker on $work/NAME and
# wants exit WANT_RC and, unless MESSAGE-SUBSTRING is empty, a message containing it.
expect() {
  local name=$1 want=$2 msg=$3 rc=0
  shift 3
  run_checker "$work/$name" "$work/$name.out" "$@" || rc=$?
  if [[ $rc -ne $want ]]; then
    echo "FAIL $name: exit $rc, expected $want"; sed 's/^/  | /' "$work/$name.out" | tail -n 20
    failures=$((failures + 1))
  elif [[ -n $msg ]] && ! grep -qF -- "$msg" "$work/$name.out"; then
    echo "FAIL $name: no message containing: $msg"; sed 's/^/  | /' "$work/$name.out" | tail -n 20
    failures=$((failures + 1))
  else
    echo "ok   $name"
    passes=$((passes + 1))
  fi
}

# variant NAME FILE SED-SCRIPT: a copy of the good results with FILE edited.
variant_of() {
  cp -r "$good" "$work/$1"
  sed -i -e "$3" "$work/$1/$2"
}

# Prints the tally; the self-test's last command, so its status is the script's.
finish() {
  echo "$passes passed, $failures failed"
  ((failures == 0))
}
