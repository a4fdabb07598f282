#!/usr/bin/env bash
# Runs a script as root in a throwaway copy of this machine's root: an overlay
# of / whose changes go to a tmpfs and vanish at the end, in a mount namespace
# of its own (run it under `unshare --mount --propagation private`). What is
# installed there never touches the machine; the network is the machine's, so
# servers started inside are reached on 127.0.0.1.
#
#   throwaway_root.sh WORK
#
# WORK holds `debs/` (the packages), `inside.sh` (the script, run by bash as
# root in the root) and `shared/`, which the root sees as /run/quai-test
# (for files and sockets both sides use).
set -euo pipefail
work=$1
layer=$work/layer
mkdir -p "$layer"
mount -t tmpfs -o mode=0755 quai-layer "$layer"
mkdir "$layer/up" "$layer/work" "$layer/root"
root=$layer/root
mount -t overlay quai-root -o "lowerdir=/,upperdir=$layer/up,workdir=$layer/work" "$root"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=0755 run "$root/run"
mount -t tmpfs -o mode=1777 tmp "$root/tmp"
mkdir -p "$root/run/quai-test"
mount --bind "$work/shared" "$root/run/quai-test"
mkdir -p "$root/tmp/debs"
cp "$work"/debs/*.deb "$root/tmp/debs/"
cp "$work/inside.sh" "$root/tmp/inside.sh"
exec chroot "$root" /bin/bash /tmp/inside.sh
