# What `cmake --install` puts where (GNUInstallDirs): the library and its headers, the clcnn
# tool (clcnn-bench installs itself in bench/), the configs, the docs, and the two ways a build
# finds the library: clcnn.pc for pkg-config and the clcnn CMake package (target clcnn::clcnn).
include(CMakePackageConfigHelpers)

install(TARGETS clcnn EXPORT clcnnTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS clcnn-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/clcnn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(FILES ${CMAKE_BINARY_DIR}/include/clcnn/version.h
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/clcnn)

# The configs are embedded in the library and the tool; these copies are for reading and
# editing (`clcnn train /usr/share/clcnn/configs/fashion_mnist.yaml --set ...`).
install(DIRECTORY configs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/clcnn/configs)
install(FILES README.md LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")
if(EXISTS ${CMAKE_SOURCE_DIR}/examples)
    install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
endif()

# A static libclcnn needs its dependencies at link time: both package files list them
# (Requires.private / Libs.private for pkg-config --static; find_dependency in the CMake one).
if(BUILD_SHARED_LIBS)
    set(CLCNN_STATIC_LIB OFF)
else()
    set(CLCNN_STATIC_LIB ON)
endif()
# The prefix is found from the .pc file's own place, so a prefix copied elsewhere still works.
file(RELATIVE_PATH CLCNN_PC_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" CLCNN_PC_PREFIX "${CLCNN_PC_PREFIX}")
configure_file(cmake/clcnn.pc.in ${CMAKE_BINARY_DIR}/clcnn.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/clcnn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

set(CLCNN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/clcnn)
install(EXPORT clcnnTargets NAMESPACE clcnn:: DESTINATION ${CLCNN_CMAKE_DIR})
configure_package_config_file(cmake/clcnnConfig.cmake.in ${CMAKE_BINARY_DIR}/clcnnConfig.cmake
    INSTALL_DESTINATION ${CLCNN_CMAKE_DIR})
# 0.x: a new minor version may break the API, so only the same minor version matches.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/clcnnConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/clcnnConfig.cmake ${CMAKE_BINARY_DIR}/clcnnConfigVersion.cmake
    DESTINATION ${CLCNN_CMAKE_DIR})
