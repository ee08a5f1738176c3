# shellcheck shell=sh
# Boot-runner self-test: a module that cannot load is a failure, not a pass.
insmod /vmbnet/no-such-module.ko
