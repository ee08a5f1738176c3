# Main job, in the guest: load vmbnet.ko and show what it found.
# (The send / inject / complete load generator joins here with the guest
# driver issue; until then the job stops after the probe.)
echo "vmbnet-job: loading vmbnet.ko"
insmod /vmbnet/vmbnet.ko || exit 1
found=0
for d in /sys/bus/pci/drivers/vmbnet/0000:*; do
    [ -e "$d" ] || continue
    found=1
    echo "vmbnet-job: device $(basename "$d") vendor $(cat "$d/vendor") device $(cat "$d/device") bound to vmbnet"
done
dmesg | grep 'vmbnet .*vmbnet-pci' | sed 's/^\[[^]]*\] /vmbnet-job: /'
rmmod vmbnet || exit 1
[ "$found" = 1 ] || { echo "vmbnet-job: no device bound"; exit 1; }
echo "vmbnet-job: module unloaded cleanly"
