"""rmbench.machine: the CPU facts a run's precision and its reproduction depend on."""

from __future__ import annotations

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
