# shellcheck shell=sh
# Boot-runner self-test: a failing case; the runner must report the failure.
. /vmbnet/lib/ktap.sh
ktap_begin 2
ktap_case passes true
ktap_case fails false
ktap_end
