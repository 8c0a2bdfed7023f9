"""Numeric precision of a training: bfloat16 where the hardware computes it fast, else float32.

"auto" picks bfloat16 on a GPU of compute capability 8.0 or more, or a CPU with AVX512-BF16
or AMX; ``cnnviz.models.dtypes`` applies the choice to one model (never Keras' global policy).
"""

from __future__ import annotations

import functools
from pathlib import Path

from cnnviz.i18n import N_
from cnnviz.runs.schema import PRECISIONS

AUTO, FLOAT32, BFLOAT16 = PRECISIONS
PRECISION_LABELS = {  # TrainConfig.precision value: how the Train page describes it (through _())
    AUTO: N_("auto (bfloat16 where the hardware supports it)"),
    FLOAT32: N_("float32"),
    BFLOAT16: N_("bfloat16 (mixed precision)"),
}
CPU_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
MIN_GPU_CAPABILITY = (8, 0)  # Ampere and later compute bfloat16 natively


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU feature flags Linux reports (empty where /proc/cpuinfo is missing)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        name, _sep, value = line.partition(":")
        if name.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def _gpu_supports_bf16() -> bool:
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        if capability and tuple(capability) >= MIN_GPU_CAPABILITY:
            return True
    return False


@functools.cache  # idempotent: two sessions asking at once get the same answer
def bf16_supported() -> bool:
    """True when a GPU (compute capability >= 8.0) or the CPU (AVX512-BF16 or AMX) computes bfloat16."""
    return _gpu_supports_bf16() or bool(cpu_flags() & CPU_BF16_FLAGS)


def resolve_precision(choice: str) -> str:
    """The precision a training uses: "auto" becomes bfloat16 where supported, else float32."""
    if choice == AUTO:
        return BFLOAT16 if bf16_supported() else FLOAT32
    return choice
