import pickle

import pytest
import torch

from hwr_core.config import ModelConfig
from hwr_core.errors import HwrError
from hwr_core.model import CRNN, VARIANTS, count_parameters


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("width", [40, 129, 400])
def test_output_lengths_match_forward(variant, width):
    model = CRNN(ModelConfig(variant, num_classes=11)).eval()
    with torch.no_grad():
        out = model(torch.rand(2, 1, 32, width))
    assert out.shape[0] == 2 and out.shape[2] == 11
    assert int(model.output_lengths(torch.tensor([width]))[0]) == out.shape[1]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_timesteps_for_a_width_match_output_lengths_and_pickle(variant):
    """`CRNN.timesteps()` is what loader processes get instead of the model."""
    model = CRNN(ModelConfig(variant=variant, num_classes=5))
    timesteps = pickle.loads(pickle.dumps(model.timesteps()))
    widths = list(range(1, 300))
    assert [timesteps(w) for w in widths] == model.output_lengths(torch.tensor(widths)).tolist()


def test_paper_variant_follows_shi_et_al_table():
    model = CRNN(ModelConfig("paper", num_classes=37))
    convs = [m for m in model.backbone.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 256, 256, 512, 512, 512]
    assert model.sequence.rnn.hidden_size == 256 and model.sequence.rnn.num_layers == 2
    assert 8_000_000 < count_parameters(model) < 9_500_000


def test_small_variant_fits_the_size_budget():
    model = CRNN(ModelConfig("small", num_classes=231))
    assert count_parameters(model) * 4 < 10_000_000  # float32 file under 10 MB


def test_variable_height_and_unknown_variant():
    model = CRNN(ModelConfig("tiny", num_classes=5)).eval()
    with torch.no_grad():
        assert model(torch.rand(1, 1, 48, 64)).shape[1] == model(torch.rand(1, 1, 32, 64)).shape[1]
    with pytest.raises(HwrError, match="unknown model variant"):
        CRNN(ModelConfig("huge", num_classes=5))


def test_freeze_backbone_keeps_weights_and_bn_stats():
    torch.manual_seed(0)
    model = CRNN(ModelConfig("tiny", num_classes=5))
    model.freeze_backbone(True)
    model.train()
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    loss = model(torch.rand(4, 1, 32, 64)).pow(2).mean()
    loss.backward()
    opt.step()
    for k, v in model.backbone.state_dict().items():
        assert torch.equal(v, before[k]), k
    model.freeze_backbone(False)
    model.train()
    assert model.backbone.training


def test_freeze_batchnorm_trains_weights_with_the_running_statistics():
    torch.manual_seed(0)
    model = CRNN(ModelConfig("tiny", num_classes=5))
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for m in norms:  # statistics no batch below has
        m.running_mean.fill_(-0.2)
        m.running_var.fill_(0.5)
    model.freeze_batchnorm(True)
    model.train()
    assert model.training and model.head.training and not any(m.training for m in norms)
    x = torch.rand(4, 1, 32, 64)
    weights = [m.weight.detach().clone() for m in norms]
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    model(x).pow(2).mean().backward()
    opt.step()
    assert any(not torch.equal(m.weight, w) for m, w in zip(norms, weights, strict=True))  # its scales learn
    assert all(torch.equal(m.running_mean, torch.full_like(m.running_mean, -0.2)) for m in norms)
    # with dropout off, the training forward pass is the inference one
    model.sequence.train(False)
    model.head.train(False)
    with torch.no_grad():
        trained_mode = model(x)
        assert torch.allclose(trained_mode, model.eval()(x))
    model.freeze_batchnorm(False)
    model.train()
    assert all(m.training for m in norms)


def test_resize_classes_keeps_trained_rows():
    torch.manual_seed(0)
    model = CRNN(ModelConfig("tiny", num_classes=5)).eval()
    x = torch.rand(1, 1, 32, 64)
    with torch.no_grad():
        before = model(x)
        model.resize_classes(8)
        after = model(x)
    assert after.shape[-1] == 8
    assert torch.allclose(before, after[..., :5], atol=1e-6)
    assert model.config.num_classes == 8
