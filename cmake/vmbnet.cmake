# Helpers shared by the folders' CMakeLists.

# vmbnet_add_test(<name> SOURCES <src>... [LIBS <lib>...] [LABELS <l>...]
#                 [ARGS <arg>...] [TIMEOUT <s>])
# One program per behaviour, registered with CTest. Exit code 77 = skipped.
function(vmbnet_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} vmbnet_testlib)
  add_test(NAME ${name} COMMAND ${name} ${T_ARGS})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77
                       TIMEOUT ${T_TIMEOUT} LABELS "unit;${T_LABELS}")
endfunction()
