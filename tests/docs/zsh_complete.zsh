# Types WORDS<TAB> into an interactive zsh (through zsh/zpty) that loads the
# completions in DIR, and prints the command line as completion left it.
#   zsh -f zsh_complete.zsh DIR WORDS
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z "PS1='>'; fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D;" \
  "setopt nobeep; bindkey '^I' complete-word"
sleep 0.5
while zpty -rt z junk; do :; done
zpty -w -n z "$2"$'\t'
sleep 1
out=""
while zpty -rt z chunk; do out+=$chunk; done
zpty -d z
# Without the terminal's escapes and the line editor's backspaces.
setopt extendedglob
out=${out//$'\e'\[[0-9;?]#[a-zA-Z]/}
out=${out//?$'\b'/}
print -r -- "$out"
