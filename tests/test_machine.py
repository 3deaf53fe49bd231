"""rmbench.machine: the CPU facts a run's precision and its reproduction depend on."""

from __future__ import annotations

import os

import rmbench.machine as machine

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
flags\t\t: fpu sse avx2 avx512f {extra}

processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
flags\t\t: fpu sse avx2 avx512f {extra}
"""


def test_the_model_name_and_bf16_come_from_cpuinfo(monkeypatch, tmp_path):
    info = tmp_path / "cpuinfo"
    monkeypatch.setattr(machine, "CPUINFO", info)
    info.write_text(CPUINFO.format(extra="avx512_bf16 amx_tile amx_bf16"))
    assert machine.cpu_model() == "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz"
    assert machine.cpu_has_bf16() and {"avx512f", "amx_bf16"} <= machine.cpu_flags()
    info.write_text(CPUINFO.format(extra="avx512_vnni"))
    assert not machine.cpu_has_bf16()
    info.write_text(CPUINFO.format(extra="amx_bf16"))  # AMX alone is enough
    assert machine.cpu_has_bf16()


def test_without_cpuinfo_nothing_is_claimed(monkeypatch, tmp_path):
    monkeypatch.setattr(machine, "CPUINFO", tmp_path / "absent")
    monkeypatch.setattr(machine.platform, "processor", lambda: "")
    assert machine.cpu_flags() == set() and not machine.cpu_has_bf16() and machine.cpu_model() is None


def test_results_hardware_records_what_a_rerun_must_match(monkeypatch, tmp_path):
    import torch

    from rmbench.eval.results import hardware

    info = tmp_path / "cpuinfo"
    info.write_text(CPUINFO.format(extra="avx512_bf16"))
    monkeypatch.setattr(machine, "CPUINFO", info)
    hw = hardware()
    assert hw["cpu"].startswith("Intel(R) Xeon(R) Platinum 8481C") and hw["cpu_bf16"] is True
    assert hw["torch_threads"] == torch.get_num_threads() and hw["torch"] == torch.__version__



def test_a_busy_cpu_is_said_once_others_and_our_threads_exceed_the_cores(monkeypatch, tmp_path):
    assert machine.busy_note(threads=2, cpus=2, busy=0.3) is None  # a shell, an editor: room enough
    note = machine.busy_note(threads=2, cpus=2, busy=1.9)
    assert note.startswith("note: the CPUs are busy (other processes keep 1.9 of 2 cores busy) and torch runs 2 threads")
    assert machine.busy_note(threads=2, cpus=16, busy=6.0) is None  # a big machine with room to spare
    assert note.endswith("run with OMP_NUM_THREADS=1")  # one core is all that is left
    assert machine.busy_note(threads=16, cpus=16, busy=6.0).endswith("OMP_NUM_THREADS=10")
    # measured from /proc/stat's first line: idle (+ iowait) against all jiffies over the window
    stat = tmp_path / "stat"
    monkeypatch.setattr(machine, "PROC_STAT", stat)
    reads = iter(["cpu  100 0 100 800 0 0 0 0 0 0\n", "cpu  250 0 150 850 0 0 0 0 0 0\n"])
    monkeypatch.setattr(machine.Path, "read_text", lambda self: next(reads))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert machine.others_busy(window=0) == 2 * (1 - 50 / 250)  # 200 of 250 jiffies busy: 1.6 cores
    monkeypatch.setattr(machine.Path, "read_text", lambda self: (_ for _ in ()).throw(OSError("no /proc here")))
    assert machine.others_busy(window=0) is None and machine.busy_note(threads=2, cpus=2) is None
