#include "scoring/status.h"

namespace incontra {

std::string Status::ToString() const {
  if (ok()) return "ok";
  return code_ + ": " + message_;
}

}  // namespace incontra
