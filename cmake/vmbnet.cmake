# Helpers shared by the folders' CMakeLists.

set(VMBNET_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})

# vmbnet_add_test(<prog> SOURCES <src>... [LIBS <lib>...] [INCLUDES <dir>...]
#                 [LABELS <l>...] [ARGS <arg>...] [TIMEOUT <s>])
#
# One program per behaviour, its cases in a {name, fn} table (vmb_test.h's
# VT_MAIN). After each build, "<prog> --list" is run and every case it names
# becomes the CTest entry <prog>.<case>, running "<prog> <case> <args>";
# nothing lists the cases by hand. Exit code 77 = skipped.
function(vmbnet_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;INCLUDES;LABELS;ARGS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} vmbnet_testlib)
  if(T_INCLUDES)
    target_include_directories(${name} PRIVATE ${T_INCLUDES})
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  set(cases ${CMAKE_CURRENT_BINARY_DIR}/${name}.cases.cmake)
  # Lists travel comma-separated (a ';' would end the shell command).
  string(REPLACE ";" "," args "${T_ARGS}")
  string(REPLACE ";" "," labels "unit;${T_LABELS}")
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -DPROG=$<TARGET_FILE:${name}> -DNAME=${name}
            -DOUT=${cases} -DARGS=${args} -DLABELS=${labels}
            -DTIMEOUT=${T_TIMEOUT} -P ${VMBNET_CMAKE_DIR}/vmbnet_list_cases.cmake
    BYPRODUCTS ${cases}
    COMMENT "Cases of ${name}"
    VERBATIM)
  # CTest reads the cases when it starts; a program that was not built (or
  # whose --list failed) shows as one failing entry instead of none.
  set(inc ${CMAKE_CURRENT_BINARY_DIR}/${name}.include.cmake)
  file(WRITE ${inc} "if(EXISTS [==[${cases}]==])\n  include([==[${cases}]==])\n"
       "else()\n  add_test(${name}.not_built [==[${CMAKE_COMMAND}]==] -E false)\n"
       "  set_tests_properties(${name}.not_built PROPERTIES LABELS [==[unit]==])\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${inc})
endfunction()
