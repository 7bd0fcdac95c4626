#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-test of check-log.py on made-up guest consoles.

    python3 scripts/qemu/test_check_log.py

scripts/check-kernel.sh runs it before booting any guest: a judge that
passed a WARNING, or failed the module's own info lines, would make every
kernel run say the wrong thing.  Each case writes a run directory (meta,
runs, console.log) as check-kernel.sh and init.sh would and checks the
verdict and the counts.
"""

import io
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

sys.dont_write_bytecode = True        # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
check_log = __import__("check-log")

MARK = "0123456789abcdef"
M = f"BYTEOR:{MARK}:"

# The module's info lines (kmod/ioctl.c), as a run's dmesg holds them.
INFO_LINES = [
    "[   10.100000] byteor: create bt.70.s0: kind 1, 2097152 bytes, by uid 0 pid 70 (stress_root)",
    "[   10.200000] byteor: destroy bt.70.s0: 2097152 bytes, by uid 0 pid 71 (stress_root)",
    "[   10.300000] byteor: create md.eurusd: kind 2, 4194304 bytes, by uid 1000 pid 90 (byteor-demo)",
]


def console(dmesg, device="600 0 0", udev="0 660 0 1002"):
    return "\n".join([
        f"{M} boot 2.0",
        f"{M} hugepages boot 96 96",
        f"{M} insmod 0 create_gid=1001",
        f"{M} device present {device}",
        f"{M} udev {udev}",
        f"{M} run root prog",
        "TAP version 13",
        "1..1",
        "ok 1 t.passes",
        f"{M} exit root prog 0 0.1",
        f"{M} hugepages tests 96 96",
        f"{M} rmmod 0",
        f"{M} hugepages rmmod 96 96",
        f"{M} dmesg-begin",
        "[    0.000000] Linux version 6.12",
        *dmesg,
        f"{M} dmesg-end",
        f"{M} done 12.0",
        "[   12.100000] reboot: Power down",
        "",
    ])


def judge(text):
    """The verdict of check-log.py on one run directory: (rc, output)."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "meta"), "w") as f:
            f.write("kernel=6.12\nrelease=6.12.0\nhugepages=96\nlimit=600\n"
                    f"device_gid=1002\nmark={MARK}\nmodparams=create_gid=1001\n"
                    "build=ok\nqemu_rc=0\ntimed_out=0\nwall=13.0\n")
        with open(os.path.join(d, "runs"), "w") as f:
            f.write("root prog\n")
        with open(os.path.join(d, "console.log"), "w") as f:
            f.write(text)
        out = io.StringIO()
        with redirect_stdout(out):
            rc = check_log.main(["check-log.py", d])
        return rc, out.getvalue()


class CheckLog(unittest.TestCase):
    def test_module_info_lines_pass(self):
        rc, out = judge(console(INFO_LINES))
        self.assertEqual(0, rc, out)
        self.assertIn("0 failed", out)

    def test_a_warning_among_info_lines_fails(self):
        rc, out = judge(console(INFO_LINES + [
            "[   11.000000] WARNING: CPU: 0 PID: 70 at kmod/region.c:300 byteor_region_prepare+0x10/0x20 [byteor]",
        ]))
        self.assertEqual(1, rc, out)
        self.assertIn("not ok - kernel log has no BUG/WARNING", out)

    def test_an_oops_fails(self):
        rc, out = judge(console(INFO_LINES + [
            "[   11.000000] Oops: general protection fault, probably for non-canonical address",
        ]))
        self.assertEqual(1, rc, out)

    def test_a_kasan_report_fails(self):
        rc, out = judge(console(INFO_LINES + [
            "[   11.000000] BUG: KASAN: slab-use-after-free in byteor_ioc_create+0xb07/0xb6c [byteor]",
        ]))
        self.assertEqual(1, rc, out)

    def test_a_world_readable_device_fails(self):
        rc, out = judge(console(INFO_LINES, device="666 0 0"))
        self.assertEqual(1, rc, out)
        self.assertIn("not ok - byteor.ko makes /dev/byteor 0600 root:root", out)

    def test_a_rule_not_applied_fails(self):
        rc, out = judge(console(INFO_LINES, udev="0 600 0 0"))
        self.assertEqual(1, rc, out)
        self.assertIn("not ok - udevd applies packaging/60-byteor.rules", out)


if __name__ == "__main__":
    unittest.main(verbosity=1)
