# The guest's kernel version and image paths, known before any folder is
# configured: guest-driver/linux builds the module and registers the boot
# tests, ci/ builds the image (kernel + initramfs) they boot.
execute_process(COMMAND ${PROJECT_SOURCE_DIR}/ci/guest-kver.sh OUTPUT_VARIABLE kver
                OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot resolve the guest kernel version (run ci/install-deps.sh)")
endif()
set(VMBNET_GUEST_KVER ${kver})
set(VMBNET_GUEST_DIR ${CMAKE_BINARY_DIR}/guest)
set(VMBNET_GUEST_KERNEL ${VMBNET_GUEST_DIR}/kernel/root/boot/vmlinuz-${kver})
set(VMBNET_GUEST_INITRD ${VMBNET_GUEST_DIR}/initramfs.cpio.gz)
set(VMBNET_GUEST_MODULE ${VMBNET_GUEST_DIR}/module/vmbnet.ko)
set(VMBNET_GUEST_HVBUS ${VMBNET_GUEST_DIR}/hvbus/vmbnet_hvbus.ko)
set(VMBNET_GUEST_RESULTS ${VMBNET_GUEST_DIR}/results)
file(MAKE_DIRECTORY ${VMBNET_GUEST_RESULTS})

# The CTest cases of a guest script: each "ktap_case <name>" it runs, and for
# each "# ktap-suite: <suite> <source>" line the suite and the KCASE()s there.
function(vmbnet_guest_cases script out)
  file(STRINGS ${script} lines REGEX "^[ \t]*ktap_case [A-Za-z0-9_]+")
  set(cases)
  foreach(line ${lines})
    string(REGEX REPLACE "^[ \t]*ktap_case ([A-Za-z0-9_.]+).*" "\\1" case "${line}")
    list(APPEND cases ${case})
  endforeach()
  file(STRINGS ${script} suites REGEX "^# ktap-suite: ")
  foreach(line ${suites})
    string(REGEX REPLACE "^# ktap-suite: ([A-Za-z0-9_]+) ([^ ]+).*" "\\1;\\2" sv "${line}")
    list(GET sv 0 suite)
    list(GET sv 1 src)
    file(STRINGS ${PROJECT_SOURCE_DIR}/${src} kcases REGEX "^KCASE\\([a-z0-9_]+\\)")
    list(APPEND cases ${suite})
    foreach(k ${kcases})
      string(REGEX REPLACE "^KCASE\\(([a-z0-9_]+)\\).*" "\\1" kc "${k}")
      list(APPEND cases ${suite}.${kc})
    endforeach()
  endforeach()
  set(${out} ${cases} PARENT_SCOPE)
endfunction()

# One CTest result per case of a boot <name> (the fixture guest_<name>).
function(vmbnet_guest_case_tests name script)
  vmbnet_guest_cases(${script} cases)
  foreach(case ${cases})
    add_test(NAME guest.${name}.${case}
             COMMAND ${PROJECT_SOURCE_DIR}/ci/ktap-result.sh
                     ${VMBNET_GUEST_RESULTS}/${name}.txt ${case})
    set_tests_properties(guest.${name}.${case} PROPERTIES FIXTURES_REQUIRED guest_${name}
                         LABELS "guest" SKIP_RETURN_CODE 77)
  endforeach()
endfunction()

# One boot under TCG per guest script in <dir> (a fixture guest_<name>), its
# "# qemu-args:" line giving the devices it needs, and one CTest result per
# case. Every folder's scripts also go into the initramfs (ci/).
function(vmbnet_guest_boot_tests dir)
  file(GLOB scripts CONFIGURE_DEPENDS ${dir}/*.sh)
  set_property(GLOBAL APPEND PROPERTY VMBNET_GUEST_SCRIPTS ${scripts})
  foreach(script ${scripts})
    get_filename_component(name ${script} NAME_WE)
    file(STRINGS ${script} qargs REGEX "^# qemu-args: ")
    string(REPLACE "# qemu-args: " "" qargs "${qargs}")
    string(REPLACE "@SOURCE_DIR@" "${PROJECT_SOURCE_DIR}" qargs "${qargs}")
    # "@FAULTS_LOG@": the device's faults log, which the runner quotes
    set(flog)
    set(qargs2 "${qargs}")
    if(qargs MATCHES "@FAULTS_LOG@")
      set(flog --faults-log ${VMBNET_GUEST_RESULTS}/${name}.faults.log)
      string(REPLACE "@FAULTS_LOG@" "${VMBNET_GUEST_RESULTS}/${name}.faults.log" qargs "${qargs}")
      string(REPLACE "@FAULTS_LOG@" "${VMBNET_GUEST_RESULTS}/${name}.replay.faults.log" qargs2
             "${qargs2}")
    endif()
    separate_arguments(qargs UNIX_COMMAND "${qargs}")
    separate_arguments(qargs2 UNIX_COMMAND "${qargs2}")
    set(boot ${PROJECT_SOURCE_DIR}/ci/boot.sh --qemu ${VMBNET_QEMU}
             --kernel ${VMBNET_GUEST_KERNEL} --initrd ${VMBNET_GUEST_INITRD} --script ${name}
             --timeout 240 --quiet)
    add_test(NAME guest.${name}.boot
      COMMAND ${boot} --cases-decide --log ${VMBNET_GUEST_RESULTS}/${name}.log
              --results ${VMBNET_GUEST_RESULTS}/${name}.txt ${flog} -- ${qargs})
    set_tests_properties(guest.${name}.boot PROPERTIES FIXTURES_SETUP guest_${name}
                         LABELS "guest" TIMEOUT 300 RESOURCE_LOCK guest_cpu)
    vmbnet_guest_case_tests(${name} ${script})
    # "# replay:": boot it again; the same faults must fire (ci/replay-check.sh)
    file(STRINGS ${script} replay REGEX "^# replay: ")
    if(replay AND flog)
      add_test(NAME guest.${name}.replay
        COMMAND ${PROJECT_SOURCE_DIR}/ci/replay-check.sh ${VMBNET_GUEST_RESULTS}/${name}.faults.log
                ${VMBNET_GUEST_RESULTS}/${name}.replay.faults.log --
                ${boot} --log ${VMBNET_GUEST_RESULTS}/${name}.replay.log -- ${qargs2})
      set_tests_properties(guest.${name}.replay PROPERTIES FIXTURES_REQUIRED guest_${name}
                           LABELS "guest" TIMEOUT 300 RESOURCE_LOCK guest_cpu)
    endif()
  endforeach()
endfunction()

# The boot <name> of guest script <script> on datapath B: vmbnet-pci hands
# its channel to vmbnet-dpdk (ci/with-vmbnet-dpdk.sh), guest RAM shared.
# DPDK_ARGS: the wrapper's port options; APPEND: kernel arguments; QEMU_ARGS:
# after the boot runner's own (the device's line, with backend=@SOCK@).
function(vmbnet_guest_dpdk_boot_test name script)
  cmake_parse_arguments(B "" "APPEND" "DPDK_ARGS;QEMU_ARGS" ${ARGN})
  set(sock ${VMBNET_GUEST_RESULTS}/${name}.sock)
  string(REPLACE "@SOCK@" "${sock}" qargs "${B_QEMU_ARGS}")
  get_filename_component(sname ${script} NAME_WE)
  set(append)
  if(B_APPEND)
    set(append --append ${B_APPEND})
  endif()
  add_test(NAME guest.${name}.boot
    COMMAND ${PROJECT_SOURCE_DIR}/ci/with-vmbnet-dpdk.sh --dpdk $<TARGET_FILE:vmbnet-dpdk>
            --socket ${sock} --log ${VMBNET_GUEST_RESULTS}/${name}.backend.log
            --prefix vmbnet-ctest-${name} ${B_DPDK_ARGS} --
            ${PROJECT_SOURCE_DIR}/ci/boot.sh --qemu ${VMBNET_QEMU}
            --kernel ${VMBNET_GUEST_KERNEL} --initrd ${VMBNET_GUEST_INITRD} --script ${sname}
            --timeout 240 --quiet --cases-decide --shared-ram ${append}
            --faults-log ${VMBNET_GUEST_RESULTS}/${name}.backend.log
            --log ${VMBNET_GUEST_RESULTS}/${name}.log
            --results ${VMBNET_GUEST_RESULTS}/${name}.txt -- ${qargs})
  set_tests_properties(guest.${name}.boot PROPERTIES FIXTURES_SETUP guest_${name}
                       LABELS "guest;dpdk" TIMEOUT 300 RESOURCE_LOCK guest_cpu)
  vmbnet_guest_case_tests(${name} ${script})
endfunction()
