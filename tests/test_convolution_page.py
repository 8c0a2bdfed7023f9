"""AppTest of the Convolution page on a small trained model: every tab, the formula and Play."""

from __future__ import annotations

import re

from tests.test_inside_pages import open_page


def markdown_text(at) -> str:
    return "\n".join(block.value for block in at.markdown)


def test_convolution_page_explains_the_chosen_output_value(trained_shapes, tmp_path, monkeypatch):
    run, dataset = trained_shapes
    at = open_page("convolution", run, dataset, tmp_path, monkeypatch)
    assert not at.error
    assert [tab.label for tab in at.tabs][:6] == [
        "Overview", "One channel", "Formula", "ReLU, pooling and softmax", "Sandbox", "Receptive field"
    ]
    assert any("Largest difference between the hand computation and the model" in s.value for s in at.success)
    at.selectbox(key="conv_layer").select_index(1).run()
    at.slider(key="conv_x").set_value(3).run()
    at.slider(key="conv_y").set_value(2).run()
    assert not at.exception
    text = markdown_text(at)
    assert "**Output position x=3, y=2**" in text
    hand, model = re.search(r"→ \*\*(-?[\d.]+)\*\* \(the model says (-?[\d.]+)\)", text).groups()
    assert abs(float(hand) - float(model)) < 1e-3
    assert "BatchNormalization" not in text  # the custom model has no BN after its convs


def test_play_advances_the_window_and_the_sandbox_flags_fractional_sizes(trained_shapes, tmp_path, monkeypatch):
    run, dataset = trained_shapes
    at = open_page("convolution", run, dataset, tmp_path, monkeypatch)
    at.toggle(key="conv_play").set_value(True).run()
    first = at.slider(key="conv_x").value
    at.run()  # a rerun stands in for the fragment's timer tick
    assert at.slider(key="conv_x").value == first + 1
    at.toggle(key="conv_play").set_value(False).run()
    paused = at.slider(key="conv_x").value
    at.run()
    assert at.slider(key="conv_x").value == paused
    at.slider(key="conv_sb_size").set_value(8)
    at.slider(key="conv_sb_stride").set_value(2).run()
    assert any("not a whole number" in w.value for w in at.warning)  # (8 - 3) / 2 + 1 = 3.5
    at.slider(key="conv_sb_padding").set_value(1)
    at.slider(key="conv_sb_stride").set_value(1).run()
    assert any(s.value.endswith("(8 - 3 + 2×1) / 1 + 1 = 8") for s in at.success)
    assert not at.exception


def test_convolution_page_in_korean(trained_shapes, tmp_path, monkeypatch):
    from cnnviz import i18n
    from app import language as _language

    monkeypatch.setattr(i18n, "_provider", _language.session_language)  # what streamlit_app.py installs
    run, dataset = trained_shapes
    at = open_page("convolution", run, dataset, tmp_path, monkeypatch, language="ko")
    assert at.title[0].value == "🧮 합성곱"
    assert [tab.label for tab in at.tabs][:3] == ["개요", "채널 하나", "수식"]
    assert any("손으로 계산한 값과 모델 출력의 최대 차이" in s.value for s in at.success)
    assert "**출력 위치 x=0, y=0**" in markdown_text(at)
