#!/bin/bash
# Runs inside the systemd guest on its first boot (installed as /usr/local/sbin/lifetrace-guest-install
# and started by lifetrace-guest-install.service when the kernel command line has
# lifetrace.test=install). Installs the Debian package the way an administrator does, with
# `apt install ./lifetrace_*.deb` (offline: every dependency is already in the image, see
# build-image.sh), checks what the package's maintainer scripts did with the running systemd,
# and powers off; the second boot (guest-check.sh) then sees lifetrace start from early boot.
# Results go to /dev/ttyS1 (results-install.log on the host), in guest-check.sh's format.
exec >/dev/ttyS1 2>&1
stty -F /dev/ttyS1 raw -echo -onlcr 2>/dev/null
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
info() { echo "INFO $1"; }
section() { echo "@@BEGIN $1@@"; cat; echo "@@END $1@@"; }

echo "@@LT-INSTALL-BEGIN $(uname -r)@@"
debs=(/var/cache/lifetrace-test/lifetrace_*.deb)
info "deb=${debs[0]##*/}"
# Nothing of lifetrace is in the image before apt installs it.
if [ -e /usr/bin/lifetrace ] || [ -e /lib/systemd/system/lifetrace.service ] || getent group lifetrace >/dev/null; then
  fail pkg_clean_image "lifetrace's files or group exist before the package is installed"
else
  pass pkg_clean_image
fi

cd /var/cache/lifetrace-test || exit 1
t0=$(date +%s.%N)
DEBIAN_FRONTEND=noninteractive apt install -y --no-install-recommends "./${debs[0]##*/}" >/tmp/apt.log 2>&1
rc=$?
t1=$(date +%s.%N)
info "apt_install_seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
section apt_install </tmp/apt.log
[ "$rc" -eq 0 ] && pass pkg_apt_install || fail pkg_apt_install "apt install exited $rc"

st=$(dpkg-query -W -f='${Status} ${Version}' lifetrace 2>&1)
info "dpkg_status=$st"
case $st in "install ok installed "*) pass pkg_installed ;; *) fail pkg_installed "$st" ;; esac
# postinst: systemd-sysusers (the group), systemd-tmpfiles (/run/lifetrace), then enable + start.
if getent group lifetrace >/dev/null; then pass pkg_group_created; else fail pkg_group_created "no group lifetrace"; fi
info "group=$(getent group lifetrace)"
en=$(systemctl is-enabled lifetrace.service 2>&1)
[ "$en" = enabled ] && pass pkg_unit_enabled || fail pkg_unit_enabled "is-enabled: $en"
[ -L /etc/systemd/system/sysinit.target.wants/lifetrace.service ] && pass pkg_unit_wanted_by_sysinit \
  || fail pkg_unit_wanted_by_sysinit "no /etc/systemd/system/sysinit.target.wants/lifetrace.service"
for _ in $(seq 1 120); do
  [ "$(systemctl is-active lifetrace.service)" = active ] && break
  sleep 1
done
act=$(systemctl is-active lifetrace.service)
[ "$act" = active ] && pass pkg_unit_started || fail pkg_unit_started "is-active: $act"
systemctl status --no-pager lifetrace.service 2>&1 | section install_status
[ "$(stat -c '%U %G %a' /run/lifetrace 2>&1)" = "root lifetrace 750" ] && pass pkg_runtime_dir \
  || fail pkg_runtime_dir "/run/lifetrace: $(stat -c '%U %G %a' /run/lifetrace 2>&1)"
if [ -f /usr/share/man/man1/lifetrace.1.gz ] && zcat /usr/share/man/man1/lifetrace.1.gz | grep -q '^\.TH'; then
  pass pkg_man_page
else
  fail pkg_man_page "no /usr/share/man/man1/lifetrace.1.gz man page"
fi

# The second boot's follow checks need a member of the group the package created.
usermod -a -G lifetrace follower && pass pkg_follower_in_group || fail pkg_follower_in_group "usermod failed"

echo "@@LT-INSTALL-END@@"
sync
systemctl poweroff --no-block
