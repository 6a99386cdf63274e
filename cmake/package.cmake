# The installable native peer: one archive, libpeerkit.a, with the public headers
# (include/peerkit/) and a CMake package, so that an application writes
#   find_package(peerkit REQUIRED)
#   target_link_libraries(app PRIVATE peerkit::peerkit)
# One archive rather than the eleven internal ones: a user links one thing, and the internal
# split (cores, drivers, net/) stays free to change without breaking anybody's build. The
# archive is made of the object files of those libraries; only what the peer references is
# pulled in at link time. net/metrics (prometheus-cpp, used by the servers) is left out, so
# the package needs OpenSSL, zlib, threads and libsrtp2 (media tracks) only; Asio is header-only
# and stays inside.
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SRTP2 REQUIRED IMPORTED_TARGET libsrtp2)  # the same name in peerkitConfig

set(PEERKIT_LIBRARY_PARTS peerkit_peer peerkit_peer_core peerkit_ice_driver peerkit_ice peerkit_turn
    peerkit_stun peerkit_dtls peerkit_sctp peerkit_sdp peerkit_rtp peerkit_srtp peerkit_common)
add_library(peerkit_lib STATIC)
foreach(part ${PEERKIT_LIBRARY_PARTS})
  target_sources(peerkit_lib PRIVATE $<TARGET_OBJECTS:${part}>)
endforeach()
target_sources(peerkit_lib PRIVATE $<FILTER:$<TARGET_OBJECTS:peerkit_net>,EXCLUDE,/metrics\.cpp\.o$>)
set_target_properties(peerkit_lib PROPERTIES OUTPUT_NAME peerkit EXPORT_NAME peerkit LINKER_LANGUAGE CXX)
target_include_directories(peerkit_lib INTERFACE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                                                 $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(peerkit_lib INTERFACE cxx_std_20)
target_link_libraries(peerkit_lib INTERFACE OpenSSL::SSL OpenSSL::Crypto ZLIB::ZLIB Threads::Threads
                                            PkgConfig::SRTP2)
add_library(peerkit::peerkit ALIAS peerkit_lib)

install(TARGETS peerkit_lib EXPORT peerkitTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/peerkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS peerkit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(PEERKIT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/peerkit)
install(EXPORT peerkitTargets NAMESPACE peerkit:: DESTINATION ${PEERKIT_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/peerkitConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/peerkitConfig.cmake INSTALL_DESTINATION ${PEERKIT_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/peerkitConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/peerkitConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/peerkitConfigVersion.cmake DESTINATION ${PEERKIT_CMAKE_DIR})
