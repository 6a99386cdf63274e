// Text from peers shown on a terminal or used as a file name: cut at a character boundary, and
// with control characters (C0, DEL, C1 — an ESC could drive the terminal) replaced.
#pragma once

#include <string>
#include <string_view>

namespace peerkit::join {

// At most `max_bytes` of UTF-8 `text`, never splitting a character.
std::string cut_utf8(std::string_view text, std::size_t max_bytes);
// `text` with every C0 control, DEL and C1 control (U+0080–U+009F) replaced by `with`; bytes that
// are not valid UTF-8 are replaced too.
std::string without_controls(std::string_view text, std::string_view with);

}  // namespace peerkit::join
