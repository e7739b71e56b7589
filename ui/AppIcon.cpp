#include "AppIcon.h"

namespace presence {

QIcon appIcon()
{
    return QIcon(QStringLiteral(":/presence/icons/presence.png"));
}

} // namespace presence
