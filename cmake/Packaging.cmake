# What `cmake --install` puts beyond the binary (app/) and the desktop entry and icons (ui/),
# and the Debian package CPack builds from it (scripts/package.sh). Configure with
# CMAKE_INSTALL_PREFIX=/usr for a package (the "package" preset does): then the service
# settings land in /etc/default, as Debian wants.
include(GNUInstallDirs)

set(PRESENCE_INSTALLED_BINARY ${CMAKE_INSTALL_FULL_BINDIR}/presence)
configure_file(${PROJECT_SOURCE_DIR}/resources/systemd/presence.service.in
               ${PROJECT_BINARY_DIR}/systemd/presence.service @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/systemd/presence.service
        DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/resources/systemd/presence.default
        DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/default RENAME presence)
# The binary carries both (Qt resources); installed copies are for operators, e.g. to load the
# function library into a Redis by hand.
install(FILES ${PROJECT_SOURCE_DIR}/resources/web/index.html
              ${PRESENCE_LUA_LIBRARY}
        DESTINATION ${CMAKE_INSTALL_DATADIR}/presence)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME presence)
set(CPACK_PACKAGE_VENDOR presence)
set(CPACK_PACKAGE_CONTACT "presence maintainers <presence@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Who is online, told to every client within a known time")
set(CPACK_PACKAGE_DESCRIPTION "An SSE realtime presence service over Redis Streams (or an \
in-memory engine), an operator dashboard, and a headless server with a hardened systemd unit \
(presence.service).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE https://localhost/presence)
# dpkg-shlibdeps names the Qt 6 and hiredis packages the binary links (libqt6core6,
# libhiredis0.14, …); Redis and the window-system plugins are for some uses only.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "redis-server, qt6-qpa-plugins")
file(WRITE ${PROJECT_BINARY_DIR}/debian/conffiles "/etc/default/presence\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_BINARY_DIR}/debian/conffiles
    ${PROJECT_SOURCE_DIR}/resources/debian/postinst
    ${PROJECT_SOURCE_DIR}/resources/debian/prerm
    ${PROJECT_SOURCE_DIR}/resources/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
