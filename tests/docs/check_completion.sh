#!/usr/bin/env bash
# Drives the generated bash completion the way readline does (COMP_WORDS,
# COMP_CWORD, then the function `complete -p lifetrace` names) and checks the
# words it offers; the zsh file gets a syntax check (zsh -n) if zsh is here.
#   check_completion.sh LIFETRACE_BINARY BASH_COMPLETION ZSH_COMPLETION
set -uo pipefail
bin=$1 bash_file=$2 zsh_file=$3

# shellcheck disable=SC1090
source "$bash_file"
func=$(complete -p lifetrace | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
[[ -n $func ]] || { echo "no completion function registered for lifetrace"; exit 1; }

# complete WORD... : the sorted words offered for the last WORD.
complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMP_LINE="$*"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  "$func" lifetrace "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
  printf '%s\n' "${COMPREPLY[@]}" | sort | xargs
}

fail=0
expect() {
  local want=$1
  shift
  local got
  got=$(complete_words "$@")
  if [[ $got == "$want" ]]; then
    echo "ok: '$*<TAB>' -> $got"
  else
    echo "FAIL: '$*<TAB>' -> '$got', want '$want'"
    fail=1
  fi
}

events=$("$bin" --help | sed -n 's/^Events: //p' | tr ' ' '\n' | sort | xargs)
[[ -n $events ]] || { echo "no Events: line in lifetrace --help"; exit 1; }
expect "--event" lifetrace --ev
expect "$events" lifetrace --event ""
expect "load_failed load_start" lifetrace --follow -e load_
expect "daemon" lifetrace da
expect "auto fentry kprobe" lifetrace daemon --attach ""
expect "--web.listen-address" lifetrace daemon --web.l
expect "--json" lifetrace list --js
# A flag takes no value: what follows it is the next option, not a file name.
expect "--standalone --strict" lifetrace --follow --st
expect "" lifetrace list --web
# Values with no words to offer: nothing, not file names (an address, a size).
expect "" lifetrace daemon --web.listen-address ""
expect "root" lifetrace daemon --follow-socket.group roo

if command -v zsh >/dev/null; then
  if zsh -n "$zsh_file"; then echo "ok: zsh -n $zsh_file"; else fail=1; fi
  # The real thing: an interactive zsh on a pseudo-terminal completes the line.
  zexpect() {
    local want=$1 got
    got=$(timeout 20 zsh -f "$(dirname "$0")/zsh_complete.zsh" "$(dirname "$zsh_file")" "$2")
    if [[ $got == *"$want"* ]]; then
      echo "ok: zsh '$2<TAB>' -> $want"
    else
      echo "FAIL: zsh '$2<TAB>' -> '$got', want '$want'"
      fail=1
    fi
  }
  zexpect "lifetrace --event=" "lifetrace --ev"
  zexpect "lifetrace daemon " "lifetrace da"
  zexpect "lifetrace --event load_failed " "lifetrace --event load_f"
  zexpect "lifetrace daemon --attach=" "lifetrace daemon --att"
  zexpect "lifetrace daemon --attach fentry " "lifetrace daemon --attach fe"
  for w in daemon list classify $events; do
    grep -qw -- "$w" "$zsh_file" || { echo "FAIL: $zsh_file lacks $w"; fail=1; }
  done
else
  echo "zsh not installed: $zsh_file not checked"
fi
exit $fail
