#include "hub/store/copy_rows.h"

#include <pqxx/tablewriter>

namespace hub {

void CopyText::add_row(const Field* fields, std::size_t n) {
  if (rows_++ > 0) text_ += '\n';
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) text_ += '\t';
    if (!fields[i]) {
      text_ += "\\N";
      continue;
    }
    // COPY's text format: backslash, tab, newline and carriage return are escaped; every other
    // byte (UTF-8 included) goes as it is, in runs.
    std::string_view v = *fields[i];
    std::size_t run = 0;
    for (std::size_t j = 0; j < v.size(); ++j) {
      const char* escaped = nullptr;
      switch (v[j]) {
        case '\\': escaped = "\\\\"; break;
        case '\t': escaped = "\\t"; break;
        case '\n': escaped = "\\n"; break;
        case '\r': escaped = "\\r"; break;
        default: continue;
      }
      text_.append(v.data() + run, j - run);
      text_ += escaped;
      run = j + 1;
    }
    text_.append(v.data() + run, v.size() - run);
  }
}

void CopyText::write(pqxx::transaction_base& tx) const {
  if (rows_ == 0) return;
  // pqxx 6's stream_to escapes field by field (a string per field, a call per row: a tenth of
  // the hub's time in a profile of the ingest benchmark). tablewriter sends text already in
  // COPY's format, all lines in one call; it is deprecated in pqxx 6 in favour of stream_to,
  // which has no such call.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pqxx::tablewriter copy(tx, table_, columns_.begin(), columns_.end());
#pragma GCC diagnostic pop
  copy.write_raw_line(text_);
  copy.complete();
}

}  // namespace hub
