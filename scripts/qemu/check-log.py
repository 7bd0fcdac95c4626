#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Judge the serial console logs of byteor's QEMU test guests.

    check-log.py [--build-failed FILE] RUNDIR [RUNDIR...]

Each RUNDIR (build/qemu-<k>/) holds what scripts/check-kernel.sh left:
  meta          key=value lines: kernel, release, mark, build (ok|failed),
                modparams, qemu_rc, timed_out (0|1), limit, wall (seconds),
                hugepages, device_gid
  runs          the programs the guest was to run, "MODE NAME" a line
  console.log   the guest's serial console (scripts/qemu/init.sh's markers)

FILE names the test programs that did not build, one a line; each counts
as one failure (once, not per kernel).

A "demo" run (byteor-demo) is one result: status 0, its first line names
the kernel backing, its last says nothing was lost.  So is a "soak" run
(byteor-soak): status 0 and its verdict line "ok".

Prints every TAP result line prefixed with the kernel and the program, the
checks of the guest itself, a summary per kernel and, last, one line
"N passed, N failed, N skipped" over all kernels.  Exit status 1 when
anything failed.

A program run counts as failed when it reports "not ok", when its results
fall short of its plan (crash, hang, guest death: each missing result is
one failure, at least one per run), or when it exits non-zero with nothing
else to show for it.  The guest's own checks, each one result: the module
loads and /dev/byteor appears; the module makes it 0600 root:root; udevd
applies packaging/60-byteor.rules (root:byteor 0660); the hugepage pool is
what the command line asked; the module unloads and every hugepage is
back; the kernel log holds no BUG/WARNING/Oops/... line; the guest powers
off before the deadline.
"""

import re
import sys

# Kernel log lines that fail a run.  Matched on the message part of a line.
BAD_KERNEL_LINES = re.compile(
    r"\bBUG\b|WARNING:|\bOops\b|general protection|KASAN|UBSAN|"
    r"Call Trace|Kernel panic|kernel BUG|\bRIP: |"
    r"soft lockup|hard LOCKUP|rcu_sched self-detected stall|"
    r"rcu: INFO: .*detected stalls|blocked for more than \d+ seconds|"
    r"list_(add|del) corruption|refcount_t: |"
    r"Unable to handle kernel|page allocation failure"
)
# The first line of each report, for the short list of later ones.
HEADLINE = re.compile(r"\bBUG\b|WARNING:|\bOops\b|general protection|KASAN|"
                      r"UBSAN|Kernel panic|soft lockup|hard LOCKUP|stall|"
                      r"blocked for more than|corruption|refcount_t: |"
                      r"Unable to handle|page allocation failure")
END_OF_REPORT = re.compile(r"---\[ end ")
SPLAT_LINES = 80        # at most this much of the first report
MAX_HEADLINES = 20
MAX_FAILURES = 24    # failed results repeated above the summary

PRINTK = re.compile(r"^\[\s*(\d+\.\d+)\] ")
RESULT = re.compile(r"^(not )?ok (\d+)\b(.*)$")
PLAN = re.compile(r"^1\.\.(\d+)\b(.*)$")
SKIP = re.compile(r"#\s*SKIP\b", re.IGNORECASE)
XFAIL = re.compile(r"#\s*XFAIL\b", re.IGNORECASE)

# byteor-demo's first line and its verdict (ulib/tools/byteor_demo.c).
DEMO_HEADER = re.compile(r"^byteor \S+ demo: .*\bbacking (\w+)\b")
DEMO_INTACT = re.compile(r"^no message, entry or record lost\b")
# The soak's verdict line (tests/soak/soak.c).
SOAK_VERDICT = re.compile(r"^soak: (\d+) messages in .* (\d+) kills: (ok|FAILED)$")

KSFT_PASS, KSFT_SKIP = 0, 4
RC_TIMEOUT = 124


def printk_time(line):
    m = PRINTK.match(line)
    return float(m.group(1)) if m else 0.0


def read_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            key, sep, val = line.rstrip("\n").partition("=")
            if sep:
                meta[key] = val
    return meta


KMEMLEAK_OBJECT = re.compile(r"^unreferenced object ")
FRAME_ADDR = re.compile(r"\[<([0-9a-f]{8,16})>\]")


def kmemleak_objects(dump):
    """The objects of a kmemleak dump, each a list of its lines."""
    objs = []
    for line in dump:
        if KMEMLEAK_OBJECT.match(line.strip()):
            objs.append([line.strip()])
        elif objs:
            objs[-1].append(line.strip())
    return objs


def frame_is_module(line, lo, hi):
    """A backtrace line in byteor.ko: by symbol, or by its address range."""
    if "[byteor]" in line or re.search(r"\bbyteor_\w+\+0x", line):
        return True
    m = FRAME_ADDR.search(line)
    return bool(m and lo is not None and lo <= int(m.group(1), 16) < hi)


def read_lines(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    text = data.decode("utf-8", "replace")
    return [l.rstrip("\r") for l in text.replace("\r\n", "\n").split("\n")]


class Kernel:
    """One guest's results, as counted from its console."""

    def __init__(self, rundir):
        self.dir = rundir
        self.meta = read_meta(rundir + "/meta")
        self.name = self.meta.get("kernel", rundir)
        self.passed = self.failed = self.skipped = 0
        self.out = []
        self.notes = []         # lines that explain a failure, for the end
        self.timing = ""

    def emit(self, line):
        self.out.append(f"{self.name} {line}")

    def check(self, ok, what):
        """A check of the guest itself: one result."""
        if ok:
            self.passed += 1
            self.emit(f"ok - {what}")
        else:
            self.failed += 1
            self.emit(f"not ok - {what}")

    def judge(self):
        if self.meta.get("build") != "ok":
            self.failed += 1
            self.emit(f"not ok - build: {self.meta.get('build', 'not attempted')}")
            return
        mark = "BYTEOR:" + self.meta["mark"] + ":"
        lines = read_lines(self.dir + "/console.log")
        runs = [tuple(l.split()) for l in read_lines(self.dir + "/runs") if l.strip()]

        events = []             # (event, args)
        outputs = {}            # run index -> output lines
        dmesg, in_dmesg, console_kmsg = [], False, []
        leaks, in_leak = {}, None       # kmemleak dumps: WHEN -> lines
        cur = None
        for line in lines:
            pos = line.find(mark)
            if pos >= 0:
                # A kernel message may share the line: keep what follows.
                words = line[pos + len(mark):].split()
                if not words:
                    continue
                ev, args = words[0], words[1:]
                events.append((ev, args))
                if ev == "run":
                    cur = len([e for e in events if e[0] == "run"]) - 1
                    outputs[cur] = []
                elif ev == "exit":
                    cur = None
                elif ev == "dmesg-begin":
                    in_dmesg = True
                elif ev == "dmesg-end":
                    in_dmesg = False
                elif ev == "kmemleak-begin" and args:
                    in_leak = args[0]
                    leaks[in_leak] = []
                elif ev == "kmemleak-end":
                    in_leak = None
                continue
            if in_leak is not None:
                leaks[in_leak].append(line)
            elif in_dmesg:
                dmesg.append(line)
            elif PRINTK.match(line):
                console_kmsg.append(line)
            elif cur is not None:
                outputs[cur].append(line)

        def first(ev):
            for e, args in events:
                if e == ev:
                    return args
            return None

        # The module.
        ins = first("insmod")
        dev = first("device")
        params = self.meta.get("modparams") or "no parameters"
        if ins is None:
            why = ": the guest never got there"
        elif ins[0] != "0":
            why = f": insmod status {ins[0]}"
        elif dev[:1] != ["present"]:
            why = ": no /dev/byteor"
        else:
            why = ""
        self.check(not why, f"byteor.ko loads ({params}) and /dev/byteor appears{why}")

        # The node as the module makes it (before udev): root's alone;
        # then as packaging/60-byteor.rules makes it, through udevd.
        if dev and dev[0] == "present":
            got = " ".join(dev[1:]) or "not reported"
            self.check(dev[1:] == ["600", "0", "0"],
                       "byteor.ko makes /dev/byteor 0600 root:root before any "
                       f"udev rule (mode uid gid: {got})")
        dgid = self.meta.get("device_gid", "?")
        ud = first("udev")
        if ud is None:
            why = ": the guest never got there"
        elif ud[0] != "0":
            why = f": udevadm settle status {ud[0]}"
        elif ud[1:] != ["660", "0", dgid]:
            why = f": mode uid gid {' '.join(ud[1:])}"
        else:
            why = ""
        self.check(not why, "udevd applies packaging/60-byteor.rules: /dev/byteor "
                   f"root:byteor ({dgid}) 0660{why}")

        hp_want = self.meta.get("hugepages", "?")
        hp_boot = first("hugepages")
        self.check(hp_boot is not None and hp_boot[1:] == [hp_want, hp_want],
                   f"hugepage pool holds {hp_want} free pages at boot" +
                   (f" (total {hp_boot[1]}, free {hp_boot[2]})" if hp_boot else ""))

        # The programs, in the order the guest ran them.
        run_events = [args for e, args in events if e == "run"]
        exit_events = [args for e, args in events if e == "exit"]
        for i, (mode, prog) in enumerate(runs):
            started = i < len(run_events) and run_events[i] == [mode, prog]
            ex = exit_events[i] if i < len(exit_events) else None
            if ex is not None and ex[:2] != [mode, prog]:
                ex = None
            self.judge_run(mode, prog, started, ex, outputs.get(i, []))

        rm = first("rmmod")
        hp_end = [args for e, args in events if e == "hugepages" and args[0] == "rmmod"]
        self.check(rm == ["0"] and hp_end and hp_end[0][1] == hp_end[0][2],
                   "byteor.ko unloads and every hugepage returns to the pool" +
                   ("" if rm is None else f": rmmod status {rm[0]}") +
                   (f", {hp_end[0][2]} of {hp_end[0][1]} free" if hp_end else ""))

        # The kernel log: the dump, and what reached the console before it
        # (loglevel=4: errors and worse, every line of an oops), which
        # survives a guest that dies and a dump whose start was overwritten.
        have_dump = first("dmesg-end") is not None
        dump_start = printk_time(dmesg[0]) if dmesg else float("inf")
        klog = [l for l in console_kmsg if printk_time(l) < dump_start] + dmesg
        bad = [i for i, l in enumerate(klog)
               if BAD_KERNEL_LINES.search(PRINTK.sub("", l))]
        self.check(not bad, "kernel log has no BUG/WARNING/Oops/KASAN/Call Trace"
                   + ("" if have_dump else " (console only: no dmesg dump)")
                   + (f": {len(bad)} bad lines" if bad else ""))
        if bad:
            # The first report whole, then the headline of each later one.
            start = bad[0]
            end = start
            while end < len(klog) and end - start < SPLAT_LINES:
                end += 1
                if END_OF_REPORT.search(klog[end - 1]):
                    break
            for l in klog[start:end]:
                self.emit("#   " + l)
            later = [klog[i] for i in bad if i >= end
                     and HEADLINE.search(PRINTK.sub("", klog[i]))]
            for l in later[:MAX_HEADLINES]:
                self.emit("#   later: " + l)
            if len(later) > MAX_HEADLINES:
                self.emit(f"#   ... {len(later) - MAX_HEADLINES} more such lines in "
                          f"{self.dir}/console.log")

        # kmemleak (debug kernel): no unreferenced object whose allocation
        # backtrace runs through the module - by name while it is loaded,
        # by its address range after the unload.
        if leaks:
            mod = first("module")
            lo = int(mod[0], 16) if mod else None
            hi = lo + int(mod[1]) if mod else None
            ours = []
            for when, dump in sorted(leaks.items()):
                for obj in kmemleak_objects(dump):
                    if any(frame_is_module(l, lo, hi) for l in obj):
                        ours.append((when, obj))
            self.check(not ours, "kmemleak finds no leak of byteor.ko "
                       f"({', '.join(sorted(leaks))})" +
                       (f": {len(ours)} objects" if ours else ""))
            for when, obj in ours[:3]:
                for l in obj[:16]:
                    self.emit(f"#   {when}: {l}")

        # The guest's end.
        done = first("done")
        powered_off = any("reboot: Power down" in l for l in console_kmsg)
        limit = self.meta.get("limit", "?")
        if self.meta.get("timed_out") == "1":
            why = f"killed after the {limit} s limit"
        elif done is None:
            why = f"the guest died before the end (QEMU status {self.meta.get('qemu_rc')})"
        elif not powered_off:
            why = "no ACPI power-off ('reboot: Power down' missing)"
        else:
            why = ""
        self.check(not why, f"guest powers off within {limit} s" +
                   (f": {why}" if why else ""))

        boot = first("boot")
        self.timing = "boot to /init %s s, tests %s s, QEMU wall %s s" % (
            boot[0] if boot else "?",
            "%.1f" % (float(done[0]) - float(boot[0])) if boot and done else "?",
            self.meta.get("wall", "?"))

    def run_failure(self, who, started, ex, out):
        """The status of a one-result run (demo, soak): its output as
        comments, and why it failed to finish cleanly ("" if it did not)."""
        for line in out:
            if line.strip():
                self.emit(f"{who} # {line}")
        rc = int(ex[2]) if ex else None
        secs = ex[3] if ex and len(ex) > 3 else "?"
        if not started:
            return "never started (the guest stopped before it)", secs
        if ex is None:
            return "did not finish (guest died or was killed)", secs
        if rc == RC_TIMEOUT:
            return f"timed out after {secs} s", secs
        if rc != 0:
            return f"exit status {rc}", secs
        return "", secs

    def judge_demo(self, prog, started, ex, out):
        """The demo: one result.  It must finish with status 0, say it ran
        on the kernel backing and that nothing was lost; its figures are
        printed as comments."""
        who = f"demo/{prog}:"
        why, secs = self.run_failure(who, started, ex, out)
        header = next((l for l in out if DEMO_HEADER.match(l)), None)
        backing = DEMO_HEADER.match(header).group(1) if header else None
        if why:
            pass
        elif backing != "kernel":
            why = f"ran on the {backing or 'unknown'} backing, not the kernel's"
        elif not any(DEMO_INTACT.match(l) for l in out):
            why = "no 'no message ... lost' line"
        self.check(not why, f"{who} the demo runs on the kernel backing "
                   f"as the test user" + (f": {why}" if why else
                                          f" ({secs} s)"))

    def judge_soak(self, prog, started, ex, out):
        """The soak: one result.  Status 0 and its verdict line "ok", with
        messages and kills both non-zero; its table is printed as comments."""
        who = f"soak/{prog}:"
        why, secs = self.run_failure(who, started, ex, out)
        verdict = next((SOAK_VERDICT.match(l) for l in out
                        if SOAK_VERDICT.match(l)), None)
        if why:
            pass
        elif verdict is None or verdict.group(3) != "ok":
            why = "no 'ok' verdict line"
        elif int(verdict.group(1)) == 0 or int(verdict.group(2)) == 0:
            why = "no message went through, or no role was killed"
        if why:
            # The soak's own diagnosis (its "# " lines) and its verdict
            # also go into the failure list at the end.
            self.notes += [f"{who} {l}" for l in out
                           if l.startswith("# ") or "FAILED" in l]
        self.check(not why, f"{who} every lane survives roles killed and "
                   f"restarted on the kernel backing" +
                   (f": {why}" if why else f" ({secs} s)"))

    def judge_run(self, mode, prog, started, ex, out):
        if mode == "demo":
            self.judge_demo(prog, started, ex, out)
            return
        if mode == "soak":
            self.judge_soak(prog, started, ex, out)
            return
        who = f"{mode}/{prog}:"
        plan, plan_extra, results = None, "", []
        for line in out:
            m = PLAN.match(line)
            if m and plan is None:
                plan, plan_extra = int(m.group(1)), m.group(2)
                continue
            m = RESULT.match(line)
            if m:
                results.append((m.group(1) is None, m.group(3)))
                self.emit(f"{who} {line}")
        rc = int(ex[2]) if ex else None
        secs = ex[3] if ex and len(ex) > 3 else "?"

        bad_before = self.failed
        for ok, rest in results:
            if not ok:
                self.failed += 1
            elif SKIP.search(rest) and not XFAIL.search(rest):
                self.skipped += 1
            else:
                self.passed += 1

        if not started:
            self.failed += 1
            self.emit(f"{who} not ok - never started (the guest stopped before it)")
            return
        if plan == 0 and not results:
            if rc == KSFT_SKIP and SKIP.search(plan_extra):
                # The whole program skipped: "1..0 # SKIP reason".
                self.skipped += 1
                self.emit(f"{who} ok - # SKIP{plan_extra.split('SKIP', 1)[-1]}")
            else:
                # No test at all is no evidence of anything.
                self.failed += 1
                self.emit(f"{who} not ok - the plan is empty (1..0) and not a skip")
            return
        missing = (plan if plan is not None else 1) - len(results)
        if ex is None:
            why = "did not finish (guest died or was killed)"
        elif rc == RC_TIMEOUT:
            why = f"timed out after {secs} s"
        elif rc >= 128:
            why = f"killed by signal {rc - 128}"
        else:
            why = f"exit status {rc}"
        if plan is None:
            self.failed += 1
            self.emit(f"{who} not ok - no TAP plan; {why}")
        elif missing > 0:
            self.failed += missing
            self.emit(f"{who} not ok - {missing} of {plan} results missing; {why}")
        elif missing < 0:
            self.failed += 1
            self.emit(f"{who} not ok - {-missing} results beyond the plan of {plan}")
        elif rc not in (KSFT_PASS, KSFT_SKIP) and self.failed == bad_before:
            # All results present and good, yet the program failed.
            self.failed += 1
            self.emit(f"{who} not ok - {why} after passing results")
        if ex is not None:
            self.emit(f"{who} # exit status {rc} after {secs} s")


def main(argv):
    args = argv[1:]
    unbuilt = []
    if args[:1] == ["--build-failed"] and len(args) > 1:
        unbuilt = [l.strip() for l in read_lines(args[1]) if l.strip()]
        args = args[2:]
    if not args:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    kernels = []
    for rundir in args:
        k = Kernel(rundir.rstrip("/"))
        k.judge()
        kernels.append(k)

    for prog in unbuilt:
        print(f"not ok - {prog} does not build (build/qemu-shared/tests-build.log)")
    for k in kernels:
        print("\n".join(k.out))
    # What failed, again, just above the summary: the end of a long log
    # is often all a CI page shows.
    failures = [f"not ok - {p} does not build" for p in unbuilt]
    for k in kernels:
        failures += [l for l in k.out if l.startswith(f"{k.name} not ok")
                     or " not ok " in l.split(" # ", 1)[0]]
        failures += [f"{k.name} {l}" for l in k.notes]
    if failures:
        print()
        print(f"failed ({len(failures)}):")
        for l in failures[:MAX_FAILURES]:
            print("  " + l)
        if len(failures) > MAX_FAILURES:
            print(f"  ... {len(failures) - MAX_FAILURES} more above")
    print()
    for k in kernels:
        print(f"{k.name} ({k.meta.get('release', '?')}): {k.passed} passed, "
              f"{k.failed} failed, {k.skipped} skipped"
              + (f"; {k.timing}" if k.timing else ""))
    passed = sum(k.passed for k in kernels)
    failed = sum(k.failed for k in kernels) + len(unbuilt)
    skipped = sum(k.skipped for k in kernels)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
