# Run by vmbnet_add_test after a test program is built: writes the CTest
# entries of its cases ("<prog> --list") to OUT, which CTest includes.
# In: PROG, NAME, OUT, ARGS and LABELS (comma-separated), TIMEOUT.
string(REPLACE "," " " ARGS "${ARGS}")
string(REPLACE "," ";" LABELS "${LABELS}")
execute_process(COMMAND ${PROG} --list OUTPUT_VARIABLE listed RESULT_VARIABLE rc
                TIMEOUT 30)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROG} --list failed (${rc})")
endif()
string(REGEX REPLACE "\n$" "" listed "${listed}")
if(listed STREQUAL "")
  message(FATAL_ERROR "${PROG} --list named no case")
endif()
string(REPLACE "\n" ";" listed "${listed}")
set(text "")
foreach(case IN LISTS listed)
  if(NOT case MATCHES "^[A-Za-z0-9_]+$")
    message(FATAL_ERROR "${PROG}: case name '${case}' is not [A-Za-z0-9_]+")
  endif()
  string(APPEND text "add_test(${NAME}.${case} [==[${PROG}]==] ${case} ${ARGS})\n"
         "set_tests_properties(${NAME}.${case} PROPERTIES SKIP_RETURN_CODE 77 "
         "TIMEOUT ${TIMEOUT} LABELS [==[${LABELS}]==])\n")
endforeach()
file(WRITE ${OUT}.tmp "${text}")
file(RENAME ${OUT}.tmp ${OUT})
