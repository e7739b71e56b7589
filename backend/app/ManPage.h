#pragma once

#include <QString>

namespace presence {

// presence(1) in roff, written from the same option table as --help (optionTable()), so a new
// option shows up in both. `presence --help-man` prints it; the build installs its output.
QString manPage(const QString &version);

// Text made safe for roff: backslashes, hyphens (so they stay ASCII '-' when copied) and a
// leading '.' or '\''.
QString roffEscaped(const QString &text);

} // namespace presence
