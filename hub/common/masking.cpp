#include "hub/common/masking.h"

#include <cctype>

namespace hub {

std::string mask_personal_ids_in_text(std::string_view text) {
  auto is_alnum = [](unsigned char c) { return std::isalnum(c) != 0; };
  std::string out;
  std::size_t i = 0, copied = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    bool bounded = (i == 0 || !is_alnum(static_cast<unsigned char>(text[i - 1]))) &&
                   (end == text.size() || !is_alnum(static_cast<unsigned char>(text[end])));
    if (end - i == 12 && bounded) {
      out.append(text.substr(copied, i - copied));
      out.append(text.substr(i, 3)).append(7, '*').append(text.substr(i + 10, 2));
      copied = end;
    }
    i = end;
  }
  if (copied == 0) return std::string(text);
  out.append(text.substr(copied));
  return out;
}

}  // namespace hub
