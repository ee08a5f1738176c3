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

# vmbnet_add_fuzzer(<name> SOURCES <src>... LIBS <lib>... LIB_SOURCES <src>...
#                   [INCLUDES <dir>...] [DEFINES <d>...] [LINK <flag>...]
#                   [CORPUS <dir>])
#
# A libFuzzer target <name> (SOURCES define LLVMFuzzerTestOneInput; LIBS are
# what the replay links, LIB_SOURCES the same code for clang, which builds
# every file itself) with its corpus in tests/fuzz/corpus/<name> beside it:
#   <name>.replay     the corpus replayed by the build's own compiler (and so
#                     under the asan preset's sanitizers), in every build;
#   <name>.libfuzzer  clang's -fsanitize=fuzzer,address,undefined build run
#                     for VMBNET_FUZZ_SECONDS from the corpus (new finds go
#                     to a scratch directory in the build tree, never into
#                     the repo); label "fuzz"; in the unsanitized build only.
# ci/fuzz.sh runs every target longer and merges new coverage by hand.
find_program(VMBNET_CLANG NAMES clang-14 clang)
set(VMBNET_FUZZ_SECONDS 20 CACHE STRING "libFuzzer run time per target in CTest")
function(vmbnet_add_fuzzer name)
  cmake_parse_arguments(F "" "CORPUS" "SOURCES;INCLUDES;LIBS;LIB_SOURCES;DEFINES;LINK" ${ARGN})
  set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  if(F_CORPUS)
    set(corpus ${F_CORPUS})
  endif()
  set(replay_src ${PROJECT_SOURCE_DIR}/transport/tests/fuzz/replay.c)
  add_executable(${name}_replay ${F_SOURCES} ${replay_src})
  target_link_libraries(${name}_replay PRIVATE ${F_LIBS})
  target_include_directories(${name}_replay PRIVATE ${F_INCLUDES})
  target_compile_definitions(${name}_replay PRIVATE ${F_DEFINES})
  add_test(NAME ${name}.replay COMMAND ${name}_replay ${corpus})
  set_tests_properties(${name}.replay PROPERTIES LABELS "unit;fuzz")
  # The libFuzzer build brings its own sanitizers: once, in the plain build.
  if(NOT VMBNET_CLANG OR VMBNET_SANITIZE)
    return()
  endif()
  set(bin ${CMAKE_CURRENT_BINARY_DIR}/${name})
  set(flags -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
            -I${PROJECT_SOURCE_DIR}/transport/include)
  foreach(i ${F_INCLUDES})
    list(APPEND flags -I${i})
  endforeach()
  foreach(d ${F_DEFINES})
    list(APPEND flags -D${d})
  endforeach()
  set(srcs)
  foreach(s ${F_SOURCES} ${F_LIB_SOURCES})
    get_filename_component(a ${s} ABSOLUTE)
    list(APPEND srcs ${a})
  endforeach()
  add_custom_command(OUTPUT ${bin}
    COMMAND ${VMBNET_CLANG} ${flags} -MD -MF ${bin}.d ${srcs} ${F_LINK} -o ${bin}
    DEPENDS ${srcs} DEPFILE ${bin}.d
    COMMENT "libFuzzer target ${name} (clang)"
    VERBATIM)
  add_custom_target(${name}_bin ALL DEPENDS ${bin})
  add_test(NAME ${name}.libfuzzer
           COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
                   sh -c "mkdir -p scratch-$2 && exec \"$0\" -max_total_time=${VMBNET_FUZZ_SECONDS} -timeout=5 -print_final_stats=1 scratch-$2 \"$1\""
                   ${bin} ${corpus} ${name}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(${name}.libfuzzer PROPERTIES LABELS "fuzz" TIMEOUT 300)
endfunction()
