# CPack .deb of the node: `cpack -G DEB` in a build dir (tests/image/deb_test.sh does it).
# The package holds /usr/bin/lifeboat, the hardened systemd unit and an example config.
include(GNUInstallDirs)
if(TARGET lifeboat)
  install(TARGETS lifeboat RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(FILES ${CMAKE_SOURCE_DIR}/image/systemd/lifeboat.service DESTINATION lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/image/lifeboat.toml.example ${CMAKE_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lifeboat)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Lifeboat maintainers <lifeboat@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Email continuity appliance node")
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, systemd")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_SOURCE_DIR}/image/debian/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
