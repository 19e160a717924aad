#!/usr/bin/env bash
# The generated manual page renders without a groff warning and names every
# flag that `lifetrace [COMMAND] --help` prints.
#   check_man.sh LIFETRACE_BINARY LIFETRACE_1
set -euo pipefail
bin=$1 page=$2

# -ww: every warning; -z: no output, only the diagnostics.
warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
if [[ -n $warnings ]]; then
  printf 'groff warns about %s:\n%s\n' "$page" "$warnings"
  exit 1
fi
if command -v man >/dev/null; then
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  [[ -z $warnings ]] || { printf 'man warns about %s:\n%s\n' "$page" "$warnings"; exit 1; }
fi

# Plain ASCII, no hyphenation, lines long enough that no flag is broken.
text=$(groff -man -Tascii -P-cbou -rHY=0 -rLL=300n "$page")
fail=0
for cmd in "" list classify daemon; do
  # shellcheck disable=SC2086 # the empty command is no argument
  help=$("$bin" $cmd --help)
  flags=$(grep -oE -- '(^|[ ,])--?[A-Za-z][A-Za-z0-9.-]*' <<<"$help" | tr -d ' ,' | sort -u)
  for flag in $flags; do
    if ! grep -qF -- "$flag" <<<"$text"; then
      echo "$page lacks $flag (from 'lifetrace $cmd --help')"
      fail=1
    fi
  done
done
[[ $fail == 0 ]] && echo "ok: $page renders cleanly and names every flag of --help"
exit $fail
