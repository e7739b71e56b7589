#pragma once

#include <QIcon>

namespace presence {

// The application icon (resources/icons/presence.png, drawn for this project; the SVG beside
// it is what the .desktop entry uses once installed).
QIcon appIcon();

} // namespace presence
