// A failure a user must act on: what is wrong, and what to do about it.
#pragma once

#include <string>

namespace lifetrace {

struct Problem {
  std::string message;
  std::string hint;  // printed as "HINT: ..."; may be empty
};

}  // namespace lifetrace
