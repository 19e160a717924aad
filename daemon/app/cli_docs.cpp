#include "app/cli_docs.h"

#include <cctype>
#include <set>
#include <sstream>

#include "app/cli.h"
#include "core/event.h"
#include "version.h"

namespace lifetrace {

namespace {

std::vector<const CLI::Option*> visible_options(const CLI::App& app) {
  return app.get_options([](const CLI::Option* o) { return !o->get_group().empty(); });
}

std::vector<const CLI::App*> subcommands(const CLI::App& app) {
  std::vector<const CLI::App*> subs;
  for (const auto* s : app.get_subcommands([](const CLI::App*) { return true; })) {
    subs.push_back(s);
  }
  return subs;
}

// Flags expect no value (CLI11 sets expected(0) for them; their type size is not 0).
bool takes_value(const CLI::Option& o) { return o.get_expected_max() != 0; }

// Every spelling of a named option: -f, --follow.
std::vector<std::string> spellings(const CLI::Option& o) {
  std::vector<std::string> out;
  for (const auto& s : o.get_snames()) out.push_back("-" + s);
  for (const auto& l : o.get_lnames()) out.push_back("--" + l);
  return out;
}

std::string value_name(const CLI::Option& o) {
  std::string n = o.get_lnames().empty() ? o.get_name() : o.get_lnames().front();
  if (auto dot = n.rfind('.'); dot != std::string::npos) n = n.substr(dot + 1);
  for (auto& c : n) c = c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return n;
}

// Text for roff: backslashes and hyphens escaped, no line starting a request.
std::string roff(const std::string& s) {
  std::string out;
  bool line_start = true;
  for (char c : s) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    line_start = c == '\n';
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  return out;
}

// How a value without fixed words is completed.
enum class ValueKind { none, files, groups, modules };
ValueKind value_kind(const CLI::Option& o) {
  const std::string n = o.get_lnames().empty() ? o.get_name() : o.get_lnames().front();
  if (n == "module") return ValueKind::modules;
  if (n.size() >= 5 && n.compare(n.size() - 5, 5, "group") == 0) return ValueKind::groups;
  if (o.get_positional() || n.rfind("path.", 0) == 0 || n == "follow-socket") {
    return ValueKind::files;
  }
  return ValueKind::none;  // addresses, URL paths, sizes
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

void man_options(std::ostream& out, const CLI::App& app) {
  for (const auto* o : visible_options(app)) {
    out << ".TP\n";
    if (o->get_positional()) {
      out << ".I " << roff(o->get_name()) << "\n";
    } else {
      std::string names;
      for (const auto& s : spellings(*o)) names += (names.empty() ? "" : ", ") + s;
      out << "\\fB" << roff(names) << "\\fR";
      if (takes_value(*o)) out << " \\fI" << roff(value_name(*o)) << "\\fR";
      out << "\n";
    }
    std::string text = o->get_description();
    if (const auto words = value_words(*o); !words.empty()) {
      std::string joined;
      for (const auto& w : words) joined += (joined.empty() ? "" : ", ") + w;
      text += " (one of: " + joined + ")";
    }
    if (!o->get_default_str().empty()) text += " (default: " + o->get_default_str() + ")";
    out << roff(text) << "\n";
  }
}

std::string words_of(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::vector<std::string> option_words(const CLI::App& app) {
  std::vector<std::string> out;
  for (const auto* o : visible_options(app)) {
    if (o->get_positional()) continue;
    for (const auto& s : spellings(*o)) out.push_back(s);
  }
  return out;
}

// A zsh _arguments description: no quote, bracket or colon left unescaped.
std::string zsh_desc(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else if (c == '[' || c == ']' || c == ':' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

void zsh_specs(std::ostream& out, const CLI::App& app) {
  for (const auto* o : visible_options(app)) {
    if (o->get_positional()) {
      out << "    '*:" << zsh_desc(o->get_name()) << ":_files' \\\n";
      continue;
    }
    const bool repeat = o->get_items_expected_max() > 1;
    for (const auto& s : spellings(*o)) {
      out << "    '" << (repeat ? "*" : "") << s;
      if (takes_value(*o)) out << (s.size() == 2 ? "+" : "=");
      out << "[" << zsh_desc(o->get_description()) << "]";
      if (takes_value(*o)) {
        const auto words = value_words(*o);
        out << ":" << zsh_desc(value_name(*o)) << ":";
        if (!words.empty()) {
          out << "(" << words_of(words) << ")";
        } else if (value_kind(*o) == ValueKind::files) {
          out << "_files";
        } else if (value_kind(*o) == ValueKind::groups) {
          out << "_groups";
        } else {
          out << " ";
        }
      }
      out << "' \\\n";
    }
  }
}

}  // namespace

std::vector<std::string> value_words(const CLI::Option& opt) {
  std::vector<std::string> words;
  if (opt.check_lname("event")) {
    for (auto k : kAllEventKinds) words.emplace_back(to_string(k));
  } else if (opt.check_lname("attach")) {
    for (const char* m : kAttachModes) words.emplace_back(m);
  }
  return words;
}

std::string man_page(const CLI::App& app) {
  std::ostringstream out;
  out << ".TH LIFETRACE 1 \"\" \"lifetrace " << roff(kVersion) << "\" \"User Commands\"\n";
  out << ".SH NAME\nlifetrace \\- follow Linux kernel modules through their lifecycle\n";

  out << ".SH SYNOPSIS\n";
  out << ".B lifetrace\n\\fB\\-\\-follow\\fR\n.RI [ options ]\n";
  for (const auto* s : subcommands(app)) {
    out << ".br\n.B lifetrace " << roff(s->get_name()) << "\n.RI [ options ]\n";
    for (const auto* o : visible_options(*s)) {
      if (o->get_positional()) out << ".IR " << roff(o->get_name()) << " ...\n";
    }
  }

  out << ".SH DESCRIPTION\n" << roff(app.get_description()) << "\n";

  const std::vector<std::string> footer = lines_of(app.get_footer());
  std::vector<std::string> examples, needs;
  bool in_examples = false;
  for (const auto& l : footer) {
    if (l == "Examples:") {
      in_examples = true;
    } else if (l.empty()) {
      in_examples = false;
    } else if (in_examples) {
      examples.push_back(l);
    } else if (l.rfind("Events:", 0) != 0) {
      needs.push_back(l);
    }
  }
  if (!needs.empty()) {
    out << ".PP\n";
    for (const auto& l : needs) out << roff(l) << "\n";
  }

  out << ".SH COMMANDS\n";
  if (const auto* f = app.get_option_no_throw("--follow")) {
    out << ".TP\n.B lifetrace \\-\\-follow\n" << roff(f->get_description()) << "\n";
  }
  for (const auto* s : subcommands(app)) {
    out << ".TP\n.B lifetrace " << roff(s->get_name()) << "\n"
        << roff(s->get_description()) << "\n";
  }

  out << ".SH OPTIONS\n.SS \"lifetrace [\\-\\-follow]\"\n";
  man_options(out, app);
  for (const auto* s : subcommands(app)) {
    out << ".SS \"lifetrace " << roff(s->get_name()) << "\"\n";
    man_options(out, *s);
  }

  out << ".SH EVENTS\nThe kinds of lifecycle event, as printed and as given to "
         "\\fB\\-\\-event\\fR:\n.PP\n";
  for (auto k : kAllEventKinds) out << ".B " << roff(std::string(to_string(k))) << "\n.br\n";

  out << ".SH EXAMPLES\n.nf\n";
  for (const auto& l : examples) out << roff(l) << "\n";
  out << ".fi\n";

  out << ".SH FILES\n"
         ".TP\n.I /run/lifetrace/follow.sock\n"
         "The daemon's follow socket; \\fBlifetrace \\-\\-follow\\fR reads events through it "
         "when a daemon listens there.\n"
         ".TP\n.I lifetrace.service\n"
         "The systemd unit that runs \\fBlifetrace daemon\\fR.\n";
  out << ".SH SEE ALSO\n.BR systemctl (1),\n.BR lsmod (8),\n.BR modinfo (8),\n"
         ".BR bpf (2)\n";
  return out.str();
}

std::string bash_completion(const CLI::App& app) {
  std::ostringstream out;
  out << "# bash completion for lifetrace; generated by `lifetrace --completion bash`.\n"
         "_lifetrace() {\n"
         "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
         "    local cmd='' words i\n"
         "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "        case ${COMP_WORDS[i]} in\n";
  std::string subs;
  for (const auto* s : subcommands(app)) subs += (subs.empty() ? "" : "|") + s->get_name();
  out << "            " << subs << ") cmd=${COMP_WORDS[i]}; break ;;\n"
      << "        esac\n    done\n";

  // The values of options that take one, across every command.
  out << "    case $prev in\n";
  std::vector<const CLI::App*> all{&app};
  for (const auto* s : subcommands(app)) all.push_back(s);
  std::set<std::string> seen;
  for (const auto* a : all) {
    for (const auto* o : visible_options(*a)) {
      if (o->get_positional() || !takes_value(*o)) continue;
      std::string pattern;
      for (const auto& s : spellings(*o)) {
        if (seen.insert(s).second) pattern += (pattern.empty() ? "" : "|") + s;
      }
      if (pattern.empty()) continue;
      const auto words = value_words(*o);
      out << "        " << pattern << ")\n            COMPREPLY=($(compgen ";
      if (!words.empty()) {
        out << "-W '" << words_of(words) << "'";
      } else if (value_kind(*o) == ValueKind::modules) {
        out << "-W \"$(cut -d' ' -f1 /proc/modules 2>/dev/null)\"";
      } else if (value_kind(*o) == ValueKind::groups) {
        out << "-g";
      } else if (value_kind(*o) == ValueKind::files) {
        out << "-f";
      } else {
        out << "-W ''";
      }
      out << " -- \"$cur\")); return ;;\n";
    }
  }
  out << "    esac\n";

  out << "    case $cmd in\n";
  for (const auto* s : subcommands(app)) {
    out << "        " << s->get_name() << ") words='" << words_of(option_words(*s)) << "'";
    bool positional = false;
    for (const auto* o : visible_options(*s)) positional = positional || o->get_positional();
    if (positional) {
      out << "\n            if [[ $cur != -* ]]; then COMPREPLY=($(compgen -f -- \"$cur\")); "
             "return; fi";
    }
    out << " ;;\n";
  }
  std::string top = words_of(option_words(app));
  for (const auto* s : subcommands(app)) top += " " + s->get_name();
  out << "        *) words='" << top << "' ;;\n    esac\n"
      << "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}\n"
      << "complete -F _lifetrace lifetrace\n";
  return out.str();
}

std::string zsh_completion(const CLI::App& app) {
  std::ostringstream out;
  out << "#compdef lifetrace\n"
         "# zsh completion for lifetrace; generated by `lifetrace --completion zsh`.\n\n";
  for (const auto* s : subcommands(app)) {
    out << "_lifetrace_" << s->get_name() << "() {\n  _arguments \\\n";
    zsh_specs(out, *s);
    out << "    && return 0\n}\n\n";
  }
  out << "_lifetrace() {\n  local curcontext=$curcontext state line\n  typeset -A opt_args\n"
         "  _arguments -C \\\n";
  zsh_specs(out, app);
  out << "    ': :->command' \\\n    '*:: :->args' && return 0\n"
         "  case $state in\n    command)\n      local -a commands=(\n";
  for (const auto* s : subcommands(app)) {
    out << "        '" << s->get_name() << ":" << zsh_desc(s->get_description()) << "'\n";
  }
  out << "      )\n      _describe -t commands command commands ;;\n"
         "    args)\n      case $words[1] in\n";
  for (const auto* s : subcommands(app)) {
    out << "        " << s->get_name() << ") _lifetrace_" << s->get_name() << " ;;\n";
  }
  out << "      esac ;;\n  esac\n}\n\n_lifetrace \"$@\"\n";
  return out.str();
}

}  // namespace lifetrace
