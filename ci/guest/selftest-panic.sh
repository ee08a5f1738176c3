# shellcheck shell=sh
# Boot-runner self-test: the guest kernel panics; the runner must fail fast.
echo "selftest: crashing the kernel on purpose"
echo c > /proc/sysrq-trigger
