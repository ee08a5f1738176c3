# shellcheck shell=sh
# Boot-runner self-test: the guest never finishes; the runner must time out.
echo "selftest: hanging on purpose"
while :; do sleep 3600; done
