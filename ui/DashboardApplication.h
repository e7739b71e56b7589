#pragma once

#include "app/Options.h"

namespace presence {

// The dashboard's main: a QApplication, the node (PresenceBackend) and its window. Returns
// the process exit code. SIGINT/SIGTERM and closing the window both end it cleanly (the
// private redis-server of the embedded default is stopped on the way out).
int runDashboard(int argc, char **argv, const Options &options);

} // namespace presence
