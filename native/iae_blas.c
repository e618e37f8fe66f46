// Native GEMM kernels for the wasm backend: convolutions (im2col + GEMM) and
// matrix products computed by OpenBLAS directly on the wasm heap.
//
// Why: tfjs-backend-wasm's XNNPACK tops out near 30-35 GFLOP/s here (128-bit
// SIMD, no FMA), while OpenBLAS's sgemm runs AVX2/AVX-512 FMA kernels at
// 80-115 GFLOP/s on one core. Tensors stay where tfjs put them: every
// function takes the wasm memory's ArrayBuffer and float offsets into it, so
// nothing is copied in or out. Scratch (the im2col patches) is native memory.
//
// Every function runs on the calling thread; OpenBLAS is told to use one
// thread, since parallelism comes from one worker per core.
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 24

typedef struct {
  float *heap;
  size_t heap_floats;
  int64_t a[MAX_ARGS];
  size_t argc;
} Args;

static napi_value throw_error(napi_env env, const char *msg) {
  napi_throw_error(env, "IAE_NATIVE", msg);
  return NULL;
}

// args[0] is the ArrayBuffer (or a typed array over it); the rest are integers.
static int read_args(napi_env env, napi_callback_info info, Args *out, size_t want) {
  size_t argc = MAX_ARGS + 1;
  napi_value argv[MAX_ARGS + 1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc != want + 1) {
    throw_error(env, "iae_blas: wrong number of arguments");
    return 0;
  }
  void *data = NULL;
  size_t bytes = 0;
  bool is_ab = false;
  napi_is_arraybuffer(env, argv[0], &is_ab);
  if (!is_ab || napi_get_arraybuffer_info(env, argv[0], &data, &bytes) != napi_ok || data == NULL) {
    throw_error(env, "iae_blas: first argument must be the wasm heap's ArrayBuffer");
    return 0;
  }
  out->heap = (float *)data;
  out->heap_floats = bytes / sizeof(float);
  out->argc = want;
  for (size_t i = 0; i < want; i++) {
    double v;
    if (napi_get_value_double(env, argv[i + 1], &v) != napi_ok) {
      throw_error(env, "iae_blas: arguments after the buffer must be numbers");
      return 0;
    }
    out->a[i] = (int64_t)v;
  }
  return 1;
}

// A region [off, off + len) of the heap, checked: a bad offset must throw, not
// scribble over the wasm heap.
static float *region(napi_env env, const Args *g, int64_t off, int64_t len) {
  if (off < 0 || len < 0 || (uint64_t)(off + len) > g->heap_floats) {
    throw_error(env, "iae_blas: tensor region outside the wasm heap");
    return NULL;
  }
  return g->heap + off;
}

// gemm(heap, transA, transB, M, N, K, aOff, lda, bOff, ldb, cOff, ldc, accumulate, batch, strideA, strideB, strideC)
// C = op(A) op(B) (+ C when accumulate), row-major, `batch` times with the given strides (floats).
static napi_value gemm(napi_env env, napi_callback_info info) {
  Args g;
  if (!read_args(env, info, &g, 16)) return NULL;
  int ta = (int)g.a[0], tb = (int)g.a[1];
  int64_t M = g.a[2], N = g.a[3], K = g.a[4];
  int64_t aOff = g.a[5], lda = g.a[6], bOff = g.a[7], ldb = g.a[8], cOff = g.a[9], ldc = g.a[10];
  const float beta = g.a[11] ? 1.0f : 0.0f;  // 0 (overwrite) or 1 (accumulate)
  int64_t batch = g.a[12], sA = g.a[13], sB = g.a[14], sC = g.a[15];
  int64_t aLen = (batch - 1) * sA + (ta ? K * lda : M * lda);
  int64_t bLen = (batch - 1) * sB + (tb ? N * ldb : K * ldb);
  int64_t cLen = (batch - 1) * sC + M * ldc;
  float *A = region(env, &g, aOff, aLen), *B = A ? region(env, &g, bOff, bLen) : NULL, *C = B ? region(env, &g, cOff, cLen) : NULL;
  if (!C) return NULL;
  for (int64_t i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, 1.0f, A + i * sA,
                (int)lda, B + i * sB, (int)ldb, beta, C + i * sC, (int)ldc);
  }
  return NULL;
}

typedef struct {
  int64_t n, h, w, ci, oh, ow, co, kh, kw, sh, sw, dh, dw, pt, pl;
} Conv;

static void conv_of(const Args *g, int first, Conv *c) {
  const int64_t *a = g->a + first;
  c->n = a[0]; c->h = a[1]; c->w = a[2]; c->ci = a[3]; c->oh = a[4]; c->ow = a[5]; c->co = a[6];
  c->kh = a[7]; c->kw = a[8]; c->sh = a[9]; c->sw = a[10]; c->dh = a[11]; c->dw = a[12]; c->pt = a[13]; c->pl = a[14];
}

// Columns [j0, j1) of a kernel row whose input pixels lie inside the image
// (xx = ox*sw + j*dw - pl in [0, w)).
static void valid_taps(const Conv *c, int64_t ox, int64_t *j0, int64_t *j1) {
  const int64_t x0 = ox * c->sw - c->pl;
  int64_t lo = 0, hi = c->kw;
  while (lo < hi && x0 + lo * c->dw < 0) lo++;
  while (hi > lo && x0 + (hi - 1) * c->dw >= c->w) hi--;
  *j0 = lo;
  *j1 = hi;
}

// Patches of images [b0, b0 + nb) of x (NHWC) into col [nb*oh*ow, kh*kw*ci].
// With dilation 1 the taps of one kernel row are one contiguous run of x
// (kw*ci floats), so each row is one copy: that matters for 1-3 channels.
static void im2col(const Conv *c, const float *x, int64_t b0, int64_t nb, float *col) {
  const int64_t K = c->kh * c->kw * c->ci, ci = c->ci;
  for (int64_t b = 0; b < nb; b++) {
    const float *img = x + (b0 + b) * c->h * c->w * ci;
    for (int64_t oy = 0; oy < c->oh; oy++) {
      for (int64_t ox = 0; ox < c->ow; ox++) {
        float *row = col + ((b * c->oh + oy) * c->ow + ox) * K;
        int64_t j0, j1;
        valid_taps(c, ox, &j0, &j1);
        const int64_t x0 = ox * c->sw - c->pl;
        for (int64_t i = 0; i < c->kh; i++) {
          const int64_t y = oy * c->sh + i * c->dh - c->pt;
          float *dst = row + i * c->kw * ci;
          if (y < 0 || y >= c->h || j0 >= j1) {
            memset(dst, 0, (size_t)(c->kw * ci) * sizeof(float));
            continue;
          }
          if (j0 > 0) memset(dst, 0, (size_t)(j0 * ci) * sizeof(float));
          if (c->dw == 1) {
            memcpy(dst + j0 * ci, img + (y * c->w + x0 + j0) * ci, (size_t)((j1 - j0) * ci) * sizeof(float));
          } else {
            for (int64_t j = j0; j < j1; j++) memcpy(dst + j * ci, img + (y * c->w + x0 + j * c->dw) * ci, (size_t)ci * sizeof(float));
          }
          if (j1 < c->kw) memset(dst + j1 * ci, 0, (size_t)((c->kw - j1) * ci) * sizeof(float));
        }
      }
    }
  }
}

// Adds the patches col [nb*oh*ow, kh*kw*ci] back into images [b0, b0 + nb) of dx.
static void col2im(const Conv *c, const float *col, int64_t b0, int64_t nb, float *dx) {
  const int64_t K = c->kh * c->kw * c->ci, ci = c->ci;
  for (int64_t b = 0; b < nb; b++) {
    float *img = dx + (b0 + b) * c->h * c->w * ci;
    for (int64_t oy = 0; oy < c->oh; oy++) {
      for (int64_t ox = 0; ox < c->ow; ox++) {
        const float *row = col + ((b * c->oh + oy) * c->ow + ox) * K;
        int64_t j0, j1;
        valid_taps(c, ox, &j0, &j1);
        const int64_t x0 = ox * c->sw - c->pl;
        for (int64_t i = 0; i < c->kh; i++) {
          const int64_t y = oy * c->sh + i * c->dh - c->pt;
          if (y < 0 || y >= c->h) continue;
          const float *s = row + i * c->kw * ci;
          if (c->dw == 1) {
            float *d = img + (y * c->w + x0) * ci;
            for (int64_t k = j0 * ci; k < j1 * ci; k++) d[k] += s[k];
          } else {
            for (int64_t j = j0; j < j1; j++) {
              float *d = img + (y * c->w + x0 + j * c->dw) * ci;
              for (int64_t k = 0; k < ci; k++) d[k] += s[j * ci + k];
            }
          }
        }
      }
    }
  }
}

// Images per im2col chunk: patches of about 2 MiB stay in cache between
// im2col and the GEMM that reads them, and bound the scratch memory.
static int64_t chunk_images(const Conv *c) {
  const int64_t per = c->oh * c->ow * c->kh * c->kw * c->ci;
  int64_t nb = per > 0 ? (int64_t)(512 * 1024) / per : c->n;
  if (nb < 1) nb = 1;
  if (nb > c->n) nb = c->n;
  return nb;
}

enum { CONV_FORWARD = 0, CONV_GRAD_FILTER = 1, CONV_GRAD_INPUT = 2 };

// conv(heap, mode, inOff, wOrDyOff, outOff, n, h, w, ci, oh, ow, co, kh, kw, sh, sw, dh, dw, pt, pl)
//   forward:      x, filter [kh,kw,ci,co] -> y [n,oh,ow,co]
//   grad filter:  x, dy                   -> dW [kh,kw,ci,co]
//   grad input:   dy, filter              -> dx [n,h,w,ci]
static napi_value conv(napi_env env, napi_callback_info info) {
  Args g;
  if (!read_args(env, info, &g, 19)) return NULL;
  const int mode = (int)g.a[0];
  Conv c;
  conv_of(&g, 4, &c);
  const int64_t K = c.kh * c.kw * c.ci, P1 = c.oh * c.ow;
  const int64_t xLen = c.n * c.h * c.w * c.ci, yLen = c.n * P1 * c.co, wLen = K * c.co;
  float *in = NULL, *other = NULL, *out = NULL;
  if (mode == CONV_FORWARD) {
    in = region(env, &g, g.a[1], xLen); other = in ? region(env, &g, g.a[2], wLen) : NULL; out = other ? region(env, &g, g.a[3], yLen) : NULL;
  } else if (mode == CONV_GRAD_FILTER) {
    in = region(env, &g, g.a[1], xLen); other = in ? region(env, &g, g.a[2], yLen) : NULL; out = other ? region(env, &g, g.a[3], wLen) : NULL;
  } else if (mode == CONV_GRAD_INPUT) {
    in = region(env, &g, g.a[1], yLen); other = in ? region(env, &g, g.a[2], wLen) : NULL; out = other ? region(env, &g, g.a[3], xLen) : NULL;
  } else {
    return throw_error(env, "iae_blas: unknown conv mode");
  }
  if (!out) return NULL;
  const int64_t nb = chunk_images(&c);
  float *col = (float *)malloc((size_t)(nb * P1 * K) * sizeof(float));
  if (!col) return throw_error(env, "iae_blas: out of memory for im2col patches");
  if (mode == CONV_GRAD_INPUT) memset(out, 0, (size_t)xLen * sizeof(float));
  for (int64_t b0 = 0; b0 < c.n; b0 += nb) {
    const int64_t m = (b0 + nb <= c.n ? nb : c.n - b0) * P1;
    if (mode == CONV_FORWARD) {
      // y[rows, co] = col[rows, K] @ W[K, co]
      im2col(&c, in, b0, m / P1, col);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)c.co, (int)K, 1.0f, col, (int)K, other, (int)c.co, 0.0f,
                  out + b0 * P1 * c.co, (int)c.co);
    } else if (mode == CONV_GRAD_FILTER) {
      // dW[K, co] += col^T[K, rows] @ dy[rows, co]
      im2col(&c, in, b0, m / P1, col);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)c.co, (int)m, 1.0f, col, (int)K, other + b0 * P1 * c.co,
                  (int)c.co, b0 == 0 ? 0.0f : 1.0f, out, (int)c.co);
    } else {
      // dcol[rows, K] = dy[rows, co] @ W^T[co, K], then scattered back
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)K, (int)c.co, 1.0f, in + b0 * P1 * c.co, (int)c.co, other,
                  (int)c.co, 0.0f, col, (int)K);
      col2im(&c, col, b0, m / P1, out);
    }
  }
  free(col);
  return NULL;
}

static napi_value config(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value s;
  napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &s);
  return s;
}

NAPI_MODULE_INIT() {
  // One thread per call: the sweep runs one worker per core. (Properties are
  // plain writable ones, as for a JS module, so a test can wrap them.)
  openblas_set_num_threads(1);
  napi_property_descriptor props[] = {
      {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"conv", NULL, conv, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_default_jsproperty, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
