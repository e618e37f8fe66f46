// The choice of OpenBLAS kernels (OPENBLAS_CORETYPE) from the CPU's flags,
// given as input: the pure half of src/engine/native (the native test checks
// that the chosen core is the one that runs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chooseCore,
  couldOverride,
  describeCore,
  parseCpuinfo,
  type CpuInfo,
} from '../../src/engine/native/coretype.js';

const SSE = 'fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt';
const AVX2 = `${SSE} avx f16c fma bmi1 bmi2 avx2`;
const AVX512 = `${AVX2} avx512f avx512dq avx512cd avx512bw avx512vl avx512ifma avx512vbmi`;

const cpu = (vendor: string, family: number, model: number, flags: string): CpuInfo => ({
  vendor,
  family,
  model,
  flags: new Set(flags.split(' ')),
});

/** An Intel CPU that OpenBLAS 0.3.21 does not know (the one of the report: family 6 model 207). */
const newIntel = (flags: string) => cpu('GenuineIntel', 6, 207, flags);

describe('parseCpuinfo', () => {
  it("reads the first processor's vendor, family, model and flags", () => {
    const text = [
      'processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx fma avx2\nbogomips\t: 4890.86\n',
      'processor\t: 1\nvendor_id\t: OtherVendor\ncpu family\t: 9\nmodel\t\t: 9\nflags\t\t: fpu\n',
    ].join('\n');
    const got = parseCpuinfo(text);
    assert.ok(got);
    assert.deepEqual(
      { ...got, flags: [...got.flags] },
      { vendor: 'AuthenticAMD', family: 25, model: 1, flags: ['fpu', 'sse2', 'avx', 'fma', 'avx2'] },
    );
  });

  it('gives null where there are no x86 flags (arm64 lists "Features")', () => {
    assert.equal(
      parseCpuinfo('processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes\nCPU implementer\t: 0x41\n'),
      null,
    );
  });
});

describe('chooseCore', () => {
  it('keeps a core OpenBLAS knows (Zen 3 here: Zen is AVX2, all the CPU has)', () => {
    const c = chooseCore({ cpu: cpu('AuthenticAMD', 25, 1, AVX2), detected: 'Zen', user: undefined });
    assert.deepEqual(c, { core: 'Zen', force: null, why: '' });
    // A known AVX-512 model keeps its own AVX-512 core too.
    assert.equal(
      chooseCore({ cpu: newIntel(`${AVX512} avx512_bf16`), detected: 'SkylakeX', user: undefined }).force,
      null,
    );
  });

  it('an unknown model with AVX-512 gets SkylakeX, or Cooperlake where it has bf16, instead of the generic fallback', () => {
    const skx = chooseCore({ cpu: newIntel(AVX512), detected: 'Prescott', user: undefined });
    assert.equal(skx.core, 'SkylakeX');
    assert.equal(skx.force, 'SkylakeX');
    assert.equal(skx.why, 'chosen for AVX-512 on GenuineIntel family 6 model 207 (OpenBLAS alone: Prescott)');
    const cpx = chooseCore({ cpu: newIntel(`${AVX512} avx512_bf16`), detected: 'Prescott', user: undefined });
    assert.equal(cpx.force, 'Cooperlake');
    // An AVX-512 CPU whose OpenBLAS stops at AVX2 (Zen 4 on OpenBLAS 0.3.21 gets Zen).
    assert.equal(
      chooseCore({ cpu: cpu('AuthenticAMD', 25, 97, `${AVX512} avx512_bf16`), detected: 'Zen', user: undefined }).force,
      'Cooperlake',
    );
  });

  it('AMD family 26 model 2 (Zen 5, AVX-512 with bf16; /proc/cpuinfo of the 2026-12-01 bench machine): OpenBLAS 0.3.21 is kept, a fallback gets Cooperlake', () => {
    // Its table has no family 26, but an unknown x86-64 model falls back by
    // features: OpenBLAS 0.3.21 alone ran Cooperlake there (bench/RESULTS.md), so that stands.
    const text =
      'processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\nflags\t\t: ' +
      'fpu vme de pse tsc msr pae mce cx8 apic sep pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext lm constant_tsc rep_good nopl ' +
      'xtopology tsc_reliable nonstop_tsc cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt ' +
      'tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm cr8_legacy misalignsse 3dnowprefetch topoext pti        vmmcall bmi1 avx2 ' +
      'bmi2 erms avx512f avx512dq adx avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 avx_vnni avx512_bf16 ' +
      'clzero xsaveerptr arat avx512vbmi avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq movdiri movdir64b fsrm ' +
      'avx512_vp2intersect\n';
    const zen5 = parseCpuinfo(text);
    assert.ok(zen5);
    assert.deepEqual([zen5.vendor, zen5.family, zen5.model], ['AuthenticAMD', 26, 2]);
    assert.equal(couldOverride({ cpu: zen5, user: undefined }), true, 'worth asking OpenBLAS');
    assert.deepEqual(chooseCore({ cpu: zen5, detected: 'Cooperlake', user: undefined }), {
      core: 'Cooperlake',
      force: null,
      why: '',
    });
    // An OpenBLAS without the feature fallback (generic) or one that maps it to Zen (AVX2) is lifted to the AVX-512 core with bf16.
    const lifted = chooseCore({ cpu: zen5, detected: 'Prescott', user: undefined });
    assert.deepEqual(lifted, {
      core: 'Cooperlake',
      force: 'Cooperlake',
      why: 'chosen for AVX-512 on AuthenticAMD family 26 model 2 (OpenBLAS alone: Prescott)',
    });
    assert.equal(chooseCore({ cpu: zen5, detected: 'Zen', user: undefined }).force, 'Cooperlake');
    // This workplace sets OPENBLAS_CORETYPE=Haswell: a user's choice, kept although the CPU has more.
    assert.deepEqual(chooseCore({ cpu: zen5, detected: 'Cooperlake', user: 'Haswell' }), {
      core: 'Haswell',
      force: 'Haswell',
      why: 'from your OPENBLAS_CORETYPE',
    });
  });

  it('AVX2 only: Haswell for Intel, Zen for AMD and Hygon', () => {
    assert.equal(chooseCore({ cpu: newIntel(AVX2), detected: 'Prescott', user: undefined }).force, 'Haswell');
    assert.equal(
      chooseCore({ cpu: cpu('AuthenticAMD', 26, 2, AVX2), detected: 'Barcelona', user: undefined }).force,
      'Zen',
    );
    assert.equal(
      chooseCore({ cpu: cpu('HygonGenuine', 24, 1, AVX2), detected: 'Prescott', user: undefined }).force,
      'Zen',
    );
  });

  it('neither AVX2 nor AVX-512: the generic core stays', () => {
    const c = chooseCore({ cpu: newIntel(SSE), detected: 'Prescott', user: undefined });
    assert.deepEqual(c, { core: 'Prescott', force: null, why: '' });
    assert.equal(couldOverride({ cpu: newIntel(SSE), user: undefined }), false, 'no need to ask OpenBLAS');
  });

  it('never kernels whose instructions the CPU lacks: AVX-512F without VL is AVX2 for OpenBLAS; AVX2 without FMA is AVX', () => {
    assert.equal(
      chooseCore({ cpu: newIntel(AVX512.replace(' avx512vl', '')), detected: 'Prescott', user: undefined }).force,
      'Haswell',
    );
    assert.equal(
      chooseCore({ cpu: newIntel(AVX2.replace(' fma', '')), detected: 'Prescott', user: undefined }).force,
      'Sandybridge',
    );
  });

  it("the user's OPENBLAS_CORETYPE always wins", () => {
    const c = chooseCore({ cpu: newIntel(AVX512), detected: 'Prescott', user: 'Haswell' });
    assert.deepEqual(c, { core: 'Haswell', force: 'Haswell', why: 'from your OPENBLAS_CORETYPE' });
    assert.equal(couldOverride({ cpu: newIntel(AVX512), user: 'Haswell' }), false, 'no need to ask OpenBLAS');
  });

  it("leaves OpenBLAS alone where it cannot tell: an unknown CPU, a core it does not know, or OpenBLAS's own choice not learnt", () => {
    assert.equal(chooseCore({ cpu: null, detected: 'Prescott', user: undefined }).force, null);
    assert.equal(chooseCore({ cpu: newIntel(AVX512), detected: 'SapphireRapids', user: undefined }).force, null);
    assert.deepEqual(chooseCore({ cpu: newIntel(AVX512), detected: null, user: undefined }), {
      core: null,
      force: null,
      why: '',
    });
  });
});

describe('describeCore', () => {
  const config = 'OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64';
  it('names the version and the core that ran, and why where it was chosen', () => {
    assert.equal(describeCore({ core: 'Zen', config, asked: '', note: '' }), 'OpenBLAS 0.3.21 Zen');
    assert.equal(
      describeCore({
        core: 'SkylakeX',
        config,
        asked: 'SkylakeX',
        note: 'chosen for AVX-512 on GenuineIntel family 6 model 207 (OpenBLAS alone: Prescott)',
      }),
      'OpenBLAS 0.3.21 SkylakeX, chosen for AVX-512 on GenuineIntel family 6 model 207 (OpenBLAS alone: Prescott)',
    );
  });

  it('says what was asked for where another core ran', () => {
    assert.equal(
      describeCore({ core: 'Haswell', config, asked: 'SkylakeX', note: 'from your OPENBLAS_CORETYPE' }),
      'OpenBLAS 0.3.21 Haswell, from your OPENBLAS_CORETYPE (asked for SkylakeX)',
    );
    assert.equal(
      describeCore({ core: 'Haswell', config, asked: 'haswell', note: 'from your OPENBLAS_CORETYPE' }),
      'OpenBLAS 0.3.21 Haswell, from your OPENBLAS_CORETYPE',
    );
  });
});
