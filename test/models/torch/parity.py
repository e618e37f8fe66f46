# Recomputes the forward pass of test/models/torch-parity.test.ts with
# PyTorch's own modules from the weights that test exports, and prints the
# signatures to embed in it (and how far ours are from them).
# Usage: /usr/bin/python3 test/models/torch/parity.py /tmp/parity
import json, sys
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

CH, LATENT, B = [4, 8, 8], 32, 5
H = CH[-1] * 4 * 4

def signature(z, r):
    z = z.double().numpy(); r = r.permute(0, 2, 3, 1).reshape(B, -1).double().numpy()
    j = np.arange(1, z.shape[1] + 1); i = np.arange(r.shape[1]) % 97
    return [v for b in range(B) for v in (z[b].sum(), (j * z[b]).sum(), r[b].sum(), (i * r[b]).sum())]

for mode in ('cell', 'sequence'):
    d = json.load(open(f'{sys.argv[1]}-{mode}.json'))
    W = {k: torch.tensor(v['v'], dtype=torch.float32).reshape(v['shape']) for k, v in d['weights'].items()}
    x = torch.tensor(d['x']).reshape(B, 32, 32, 3).permute(0, 3, 1, 2)
    enc = []
    for n, c in enumerate(CH):
        conv = nn.Conv2d(3 if n == 0 else CH[n - 1], c, 5, padding=2, bias=False)
        conv.weight.data = W[f'encoder.conv{n}.weight'].permute(3, 2, 0, 1).contiguous()  # [k,k,in,out] -> [out,in,k,k]
        enc.append((conv, nn.BatchNorm2d(c, eps=1e-4, affine=False)))
    lstm = nn.LSTM(H, H)
    wih, whh, bih, bhh = torch.zeros(4 * H, H), torch.zeros(4 * H, H), torch.zeros(4 * H), torch.zeros(4 * H)
    for k, g in enumerate('ifgo'):  # missing gates (cell mode: f) stay 0: with zero state they do not matter
        s = slice(k * H, (k + 1) * H)
        if f'lstm.weight_ih.{g}' in W:
            wih[s] = W[f'lstm.weight_ih.{g}'].T; bih[s] = W[f'lstm.bias_ih.{g}']; bhh[s] = W[f'lstm.bias_hh.{g}']
        if f'lstm.weight_hh.{g}' in W:
            whh[s] = W[f'lstm.weight_hh.{g}'].T
    lstm.weight_ih_l0.data, lstm.weight_hh_l0.data, lstm.bias_ih_l0.data, lstm.bias_hh_l0.data = wih, whh, bih, bhh
    head = nn.Linear(H, LATENT, bias=False); head.weight.data = W['head.weight'].T.contiguous()
    bn0 = nn.BatchNorm1d(LATENT, eps=1e-4, affine=False)
    rev = CH[::-1]; dec = []
    def deconv(name, cin, cout):
        ct = nn.ConvTranspose2d(cin, cout, 5, padding=2, bias=False)
        ct.weight.data = W[name].flip(0, 1).permute(2, 3, 0, 1).contiguous()  # conv kernel flipped, -> [in,out,k,k]
        return ct
    for n, c in enumerate(rev):
        dec.append((deconv(f'decoder.deconv{n}.weight', LATENT // 16 if n == 0 else rev[n - 1], c), nn.BatchNorm2d(c, eps=1e-4, affine=False)))
    last = deconv(f'decoder.deconv{len(rev)}.weight', rev[-1], 3)
    bns = [b for _, b in enc] + [b for _, b in dec] + [bn0]

    def run(train):
        for b in bns: b.train(train)
        h = x
        for conv, bn in enc: h = F.max_pool2d(F.leaky_relu(bn(conv(h)), 0.01), 2)
        f = h.reshape(B, -1)
        o = lstm(f.unsqueeze(0))[0][0] if mode == 'cell' else lstm(f.unsqueeze(1))[0][:, 0]
        z = head(o)
        r = F.leaky_relu(bn0(z).view(B, LATENT // 16, 4, 4), 0.01)
        for conv, bn in dec: r = F.interpolate(F.leaky_relu(bn(conv(r)), 0.01), scale_factor=2)
        return z, torch.sigmoid(last(r))

    with torch.no_grad():
        tr, ev = signature(*run(True)), signature(*run(False))
    print(f"  {mode}: {{ train: {json.dumps([round(v, 7) for v in tr])}, eval: {json.dumps([round(v, 7) for v in ev])} }},")
    print('  max |ours - torch| train', max(abs(a - b) for a, b in zip(d['train'], tr)), 'eval', max(abs(a - b) for a, b in zip(d['eval'], ev)))
