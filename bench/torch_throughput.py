"""PyTorch twin of bench/train-throughput.ts: the Fashion-MNIST IAE-LSTM-KL
network (docs/recipe.md, "Networks"), one training step (forward, backward, Adam with AMSGrad
and weight decay) on ONE thread, batch 64. Prints samples/s as JSON, last line.

The LSTM is written as the same math as the TypeScript bench (zero state: one
2048x6144 matmul for the i, g, o gates) so both measure the same FLOPs.

    /usr/bin/python3 bench/torch_throughput.py [--batch 64] [--steps 8] [--warmup 2]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.ModuleList(
            [nn.Conv2d(1, 32, 5, padding=2, bias=False), nn.Conv2d(32, 64, 5, padding=2, bias=False), nn.Conv2d(64, 128, 5, padding=2, bias=False)]
        )
        self.enc_bn = nn.ModuleList([nn.BatchNorm2d(c, eps=1e-4, affine=False) for c in (32, 64, 128)])
        self.lstm = nn.Linear(2048, 3 * 2048)  # i, g, o gates; zero state
        self.lin = nn.Linear(2048, 128, bias=False)
        self.bn1d = nn.BatchNorm1d(128, eps=1e-4, affine=False)
        self.dec = nn.ModuleList(
            [
                nn.ConvTranspose2d(8, 128, 5, padding=2, bias=False),
                nn.ConvTranspose2d(128, 64, 5, padding=2, bias=False),
                nn.ConvTranspose2d(64, 32, 5, padding=2, bias=False),
            ]
        )
        self.dec_bn = nn.ModuleList([nn.BatchNorm2d(c, eps=1e-4, affine=False) for c in (128, 64, 32)])
        self.out = nn.ConvTranspose2d(32, 1, 5, padding=2, bias=False)

    def forward(self, x):
        h = x
        for conv, bn in zip(self.enc, self.enc_bn):
            h = F.max_pool2d(F.leaky_relu(bn(conv(h)), 0.01), 2)
        h = h.flatten(1)
        gi, gg, go = self.lstm(h).chunk(3, 1)
        c = torch.sigmoid(gi) * torch.tanh(gg)
        h = torch.sigmoid(go) * torch.tanh(c)
        z = self.lin(h)
        d = F.leaky_relu(self.bn1d(z).view(-1, 8, 4, 4), 0.01)
        for conv, bn in zip(self.dec, self.dec_bn):
            d = F.interpolate(F.leaky_relu(bn(conv(d)), 0.01), scale_factor=2)
        return z, torch.sigmoid(self.out(d))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-4, weight_decay=0.5e-6, amsgrad=True)
    x = torch.rand(a.batch, 1, 32, 32)
    center = torch.randn(1, 128) * 0.1
    lam_rec, lam_kl = 1.0, 0.001

    def step():
        opt.zero_grad(set_to_none=True)
        z, xhat = net(x)
        svdd = ((z - center) ** 2).sum(1).mean()
        rec = F.mse_loss(xhat, x)
        kl = F.kl_div(z, F.softmax(torch.randn_like(z), 1), reduction="batchmean")
        loss = svdd + lam_rec * rec + lam_kl * kl
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    times = []
    cpu = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        c0 = time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(
        json.dumps(
            {
                "samplesPerSec": a.batch / statistics.median(times),
                # CPU time of this process (all its threads): robust when other processes share the cores.
                "samplesPerCpuSec": a.batch / statistics.median(cpu),
                "stepMs": [round(t * 1000) for t in times],
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
            }
        )
    )


if __name__ == "__main__":
    main()
