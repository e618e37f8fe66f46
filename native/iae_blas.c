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
//
// OpenBLAS is not linked: init() dlopen()s it. Why: OpenBLAS picks its
// kernels once, in its constructor, from OPENBLAS_CORETYPE or its own CPU
// table, and an older OpenBLAS falls back to generic (Prescott) kernels on a
// CPU model it does not know, 3x slower. The caller (src/engine/native) decides
// the core; init() sets OPENBLAS_CORETYPE with setenv() right before dlopen().
// Doing it here, in C, works from any thread: in a Node worker thread
// process.env writes never reach the C environment, and every worker shares
// the one library in the process, so whichever thread loads it first fixes
// the core for all. The first init() wins (under a mutex); later ones get
// what it loaded and why. The variable is restored right after, so child
// processes see the user's environment. (setenv() beside another thread's
// getenv() is not strictly safe in C; it happens once per process, before any
// kernel runs, and a worker's process.env is its own copy, so only a native
// getenv() in another thread at that very moment could race with it.)
//
// Every argument is checked before anything is read or written: a finite
// integer in its range (no silent cast from a double), dimensions >= 1,
// leading dimensions >= the row width, region ends computed with overflow
// checks and inside the heap. A bad call throws a JS error and writes nothing.
// setenv, unsetenv, strdup (POSIX, hidden by -std=c11 alone).
#define _POSIX_C_SOURCE 200809L
#include <node_api.h>
#include <cblas.h>
#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef IAE_OPENBLAS_LIB
#define IAE_OPENBLAS_LIB "libopenblas.so.0"
#endif

#define MAX_ARGS 24
// Doubles hold every integer up to 2^53 exactly; anything above is refused.
#define MAX_SAFE ((int64_t)1 << 53)
// cblas takes int dimensions (blasint is int in the usual LP64 builds).
#define MAX_DIM ((int64_t)INT_MAX)
// im2col scratch above this (1 GiB) is refused rather than allocated.
#define MAX_COL_FLOATS ((int64_t)1 << 28)

typedef void (*sgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint, blasint, float, const float *, blasint,
                         const float *, blasint, float, float *, blasint);
typedef char *(*string_fn)(void);
typedef void (*threads_fn)(int);

static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int lib_ready;  // set (release) once the pointers below are
static sgemm_fn sgemm;
static string_fn get_corename, get_config;
static char lib_path[1024], lib_asked[64], lib_note[512];

static napi_value throw_error(napi_env env, const char *msg) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && !pending) napi_throw_error(env, "IAE_NATIVE", msg);
  return NULL;
}

// Evaluates an N-API call; on failure throws (unless one is pending) and returns NULL.
#define NAPI_CHECK(call)                                                 \
  do {                                                                   \
    if ((call) != napi_ok) return throw_error(env, "iae_blas: N-API call failed: " #call); \
  } while (0)

static inline void blas_gemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                             float *c, int64_t ldc) {
  sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n, (blasint)k, 1.0f, a, (blasint)lda, b,
        (blasint)ldb, beta, c, (blasint)ldc);
}

typedef struct {
  float *heap;
  int64_t heap_floats;
  int64_t a[MAX_ARGS];
} Args;

// args[0] is the ArrayBuffer; the rest must be numbers that are finite
// integers of at most 2^53 in magnitude (ranges are checked per argument later).
static int read_args(napi_env env, napi_callback_info info, Args *out, size_t want, const char *fn, const char *const *names) {
  size_t argc = MAX_ARGS + 1;
  napi_value argv[MAX_ARGS + 1];
  char msg[256];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    throw_error(env, "iae_blas: N-API call failed: napi_get_cb_info");
    return 0;
  }
  if (argc != want + 1) {
    snprintf(msg, sizeof msg, "iae_blas.%s: wrong number of arguments (%zu, want %zu)", fn, argc, want + 1);
    throw_error(env, msg);
    return 0;
  }
  void *data = NULL;
  size_t bytes = 0;
  bool is_ab = false;
  if (napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab || napi_get_arraybuffer_info(env, argv[0], &data, &bytes) != napi_ok ||
      data == NULL) {
    snprintf(msg, sizeof msg, "iae_blas.%s: first argument must be the wasm heap's ArrayBuffer (not detached, not shared)", fn);
    throw_error(env, msg);
    return 0;
  }
  out->heap = (float *)data;
  out->heap_floats = (int64_t)(bytes / sizeof(float));
  for (size_t i = 0; i < want; i++) {
    napi_valuetype t;
    double v;
    if (napi_typeof(env, argv[i + 1], &t) != napi_ok || t != napi_number || napi_get_value_double(env, argv[i + 1], &v) != napi_ok) {
      snprintf(msg, sizeof msg, "iae_blas.%s: %s must be a number", fn, names[i]);
      throw_error(env, msg);
      return 0;
    }
    if (!isfinite(v) || v != trunc(v) || fabs(v) > (double)MAX_SAFE) {
      snprintf(msg, sizeof msg, "iae_blas.%s: %s = %g must be a finite integer", fn, names[i], v);
      throw_error(env, msg);
      return 0;
    }
    out->a[i] = (int64_t)v;
  }
  return 1;
}

// Argument i within [lo, hi], or a JS error naming it.
static int in_range(napi_env env, const Args *g, const char *fn, const char *const *names, size_t i, int64_t lo, int64_t hi) {
  if (g->a[i] >= lo && g->a[i] <= hi) return 1;
  char msg[256];
  snprintf(msg, sizeof msg, "iae_blas.%s: %s = %lld out of range [%lld, %lld]", fn, names[i], (long long)g->a[i], (long long)lo, (long long)hi);
  throw_error(env, msg);
  return 0;
}

static int fail(napi_env env, const char *fn, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "iae_blas.%s: %s", fn, what);
  throw_error(env, msg);
  return 0;
}

// x * y, or 0 with a JS error on overflow. Operands are >= 0.
static int mul(napi_env env, const char *fn, int64_t x, int64_t y, int64_t *out) {
  if (__builtin_mul_overflow(x, y, out)) return fail(env, fn, "size overflows");
  return 1;
}

static int add(napi_env env, const char *fn, int64_t x, int64_t y, int64_t *out) {
  if (__builtin_add_overflow(x, y, out)) return fail(env, fn, "size overflows");
  return 1;
}

// `count` matrices of `rows` rows of `cols` floats, `ld` apart, `stride`
// apart from each other, starting at `off`: the floats they span, checked to
// lie inside the heap. A bad region throws instead of scribbling over the heap.
static float *region(napi_env env, const Args *g, const char *fn, const char *name, int64_t off, int64_t count, int64_t stride, int64_t rows,
                     int64_t ld, int64_t cols) {
  int64_t span, last, end;
  if (!mul(env, fn, rows - 1, ld, &span) || !add(env, fn, span, cols, &span) || !mul(env, fn, count - 1, stride, &last) ||
      !add(env, fn, last, span, &span) || !add(env, fn, off, span, &end))
    return NULL;
  if (end > g->heap_floats) {
    char msg[256];
    snprintf(msg, sizeof msg, "iae_blas.%s: %s region [%lld, %lld) outside the wasm heap (%lld floats)", fn, name, (long long)off, (long long)end,
             (long long)g->heap_floats);
    throw_error(env, msg);
    return NULL;
  }
  return g->heap + off;
}

static int ready(napi_env env, const char *fn) {
  if (atomic_load_explicit(&lib_ready, memory_order_acquire)) return 1;
  return fail(env, fn, "OpenBLAS is not loaded yet: call init() first");
}

// gemm(heap, transA, transB, M, N, K, aOff, lda, bOff, ldb, cOff, ldc, accumulate, batch, strideA, strideB, strideC)
// C = op(A) op(B) (+ C when accumulate), row-major, `batch` times with the given strides (floats).
static napi_value gemm(napi_env env, napi_callback_info info) {
  static const char *const names[] = {"transA", "transB", "m",   "n",          "k",     "aOff",    "lda",     "bOff",
                                      "ldb",    "cOff",   "ldc", "accumulate", "batch", "strideA", "strideB", "strideC"};
  const char *fn = "gemm";
  Args g;
  if (!ready(env, fn) || !read_args(env, info, &g, 16, fn, names)) return NULL;
  // [lo, hi] per argument, in the order above.
  static const int64_t lo[16] = {0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0};
  const int64_t hi[16] = {1, 1, MAX_DIM, MAX_DIM, MAX_DIM, MAX_SAFE, MAX_DIM, MAX_SAFE, MAX_DIM, MAX_SAFE, MAX_DIM, 1, MAX_SAFE, MAX_SAFE, MAX_SAFE, MAX_SAFE};
  for (size_t i = 0; i < 16; i++)
    if (!in_range(env, &g, fn, names, i, lo[i], hi[i])) return NULL;
  const int ta = (int)g.a[0], tb = (int)g.a[1];
  const int64_t M = g.a[2], N = g.a[3], K = g.a[4];
  const int64_t aOff = g.a[5], lda = g.a[6], bOff = g.a[7], ldb = g.a[8], cOff = g.a[9], ldc = g.a[10];
  const float beta = g.a[11] ? 1.0f : 0.0f;  // 0 (overwrite) or 1 (accumulate)
  const int64_t batch = g.a[12], sA = g.a[13], sB = g.a[14], sC = g.a[15];
  // Row-major: A is [M, K] (transposed: stored [K, M]), B [K, N] (transposed: [N, K]), C [M, N].
  const int64_t aRows = ta ? K : M, aCols = ta ? M : K, bRows = tb ? N : K, bCols = tb ? K : N;
  if (lda < aCols) return throw_error(env, "iae_blas.gemm: lda is smaller than A's row width");
  if (ldb < bCols) return throw_error(env, "iae_blas.gemm: ldb is smaller than B's row width");
  if (ldc < N) return throw_error(env, "iae_blas.gemm: ldc is smaller than C's row width (n)");
  float *A = region(env, &g, fn, "A", aOff, batch, sA, aRows, lda, aCols);
  float *B = A ? region(env, &g, fn, "B", bOff, batch, sB, bRows, ldb, bCols) : NULL;
  float *C = B ? region(env, &g, fn, "C", cOff, batch, sC, M, ldc, N) : NULL;
  if (!C) return NULL;
  for (int64_t i = 0; i < batch; i++) blas_gemm(ta, tb, M, N, K, A + i * sA, lda, B + i * sB, ldb, beta, C + i * sC, ldc);
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
            float *d = img + (y * c->w + x0 + j0) * ci;
            const float *from = s + j0 * ci;
            for (int64_t k = 0; k < (j1 - j0) * ci; k++) d[k] += from[k];
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
// im2col and the GEMM that reads them, and bound the scratch memory. (The
// caller checked that one image's patches fit MAX_COL_FLOATS and its rows an int.)
static int64_t chunk_images(const Conv *c) {
  const int64_t rows = c->oh * c->ow, per = rows * c->kh * c->kw * c->ci;
  int64_t nb = (int64_t)(512 * 1024) / per;
  if (nb > MAX_DIM / rows) nb = MAX_DIM / rows;
  if (nb < 1) nb = 1;
  if (nb > c->n) nb = c->n;
  return nb;
}

enum { CONV_FORWARD = 0, CONV_GRAD_FILTER = 1, CONV_GRAD_INPUT = 2 };

// conv(heap, mode, inOff, wOrDyOff, outOff, n, h, w, ci, oh, ow, co, kh, kw, sh, sw, dh, dw, pt, pl)
//   forward:      x, filter [kh,kw,ci,co] -> y [n,oh,ow,co]
//   grad filter:  x, dy                   -> dW [kh,kw,ci,co]
//   grad input:   dy, filter              -> dx [n,h,w,ci]
// Output pixel (oy, ox) sees input (oy*sh + i*dh - pt, ox*sw + j*dw - pl) at
// tap (i, j), zero outside the image, whatever oh and ow are.
static napi_value conv(napi_env env, napi_callback_info info) {
  static const char *const names[] = {"mode", "inOff", "otherOff", "outOff", "n",  "h",  "w",  "ci", "oh", "ow",
                                      "co",   "kh",    "kw",       "sh",     "sw", "dh", "dw", "pt", "pl"};
  const char *fn = "conv";
  Args g;
  if (!ready(env, fn) || !read_args(env, info, &g, 19, fn, names)) return NULL;
  // [lo, hi] per argument, in the order above: sizes, strides and dilations >= 1, padding >= 0.
  static const int64_t lo[19] = {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  for (size_t i = 0; i < 19; i++)
    if (!in_range(env, &g, fn, names, i, lo[i], i == 0 ? 2 : i <= 3 ? MAX_SAFE : MAX_DIM)) return NULL;
  const int mode = (int)g.a[0];
  Conv c;
  conv_of(&g, 4, &c);
  int64_t K, P1, xLen, yLen, wLen, per;
  if (!mul(env, fn, c.kh, c.kw, &K) || !mul(env, fn, K, c.ci, &K) || !mul(env, fn, c.oh, c.ow, &P1) || !mul(env, fn, c.n, c.h, &xLen) ||
      !mul(env, fn, xLen, c.w, &xLen) || !mul(env, fn, xLen, c.ci, &xLen) || !mul(env, fn, c.n, P1, &yLen) || !mul(env, fn, yLen, c.co, &yLen) ||
      !mul(env, fn, K, c.co, &wLen) || !mul(env, fn, P1, K, &per))
    return NULL;
  if (K > MAX_DIM || P1 > MAX_DIM) return throw_error(env, "iae_blas.conv: kh*kw*ci or oh*ow exceeds an int");
  if (per > MAX_COL_FLOATS) return throw_error(env, "iae_blas.conv: one image's im2col patches (oh*ow*kh*kw*ci) exceed 2^28 floats");
  const int64_t lens[3][3] = {{xLen, wLen, yLen}, {xLen, yLen, wLen}, {yLen, wLen, xLen}};
  static const char *const what[3][3] = {{"x", "filter", "y"}, {"x", "dy", "dW"}, {"dy", "filter", "dx"}};
  float *in = region(env, &g, fn, what[mode][0], g.a[1], 1, 0, 1, 0, lens[mode][0]);
  float *other = in ? region(env, &g, fn, what[mode][1], g.a[2], 1, 0, 1, 0, lens[mode][1]) : NULL;
  float *out = other ? region(env, &g, fn, what[mode][2], g.a[3], 1, 0, 1, 0, lens[mode][2]) : NULL;
  if (!out) return NULL;
  const int64_t nb = chunk_images(&c);
  float *col = (float *)malloc((size_t)(nb * per) * sizeof(float));
  if (!col) return throw_error(env, "iae_blas.conv: out of memory for im2col patches");
  if (mode == CONV_GRAD_INPUT) memset(out, 0, (size_t)xLen * sizeof(float));
  for (int64_t b0 = 0; b0 < c.n; b0 += nb) {
    const int64_t m = (b0 + nb <= c.n ? nb : c.n - b0) * P1;
    if (mode == CONV_FORWARD) {
      // y[rows, co] = col[rows, K] @ W[K, co]
      im2col(&c, in, b0, m / P1, col);
      blas_gemm(0, 0, m, c.co, K, col, K, other, c.co, 0.0f, out + b0 * P1 * c.co, c.co);
    } else if (mode == CONV_GRAD_FILTER) {
      // dW[K, co] += col^T[K, rows] @ dy[rows, co]
      im2col(&c, in, b0, m / P1, col);
      blas_gemm(1, 0, K, c.co, m, col, K, other + b0 * P1 * c.co, c.co, b0 == 0 ? 0.0f : 1.0f, out, c.co);
    } else {
      // dcol[rows, K] = dy[rows, co] @ W^T[co, K], then scattered back
      blas_gemm(0, 1, m, K, c.co, in + b0 * P1 * c.co, c.co, other, c.co, 0.0f, col, K);
      col2im(&c, col, b0, m / P1, out);
    }
  }
  free(col);
  return NULL;
}

// The loaded library as {core, config, asked, note, path}, or null before init().
static napi_value state_of(napi_env env) {
  napi_value o, v;
  if (!atomic_load_explicit(&lib_ready, memory_order_acquire)) {
    NAPI_CHECK(napi_get_null(env, &o));
    return o;
  }
  NAPI_CHECK(napi_create_object(env, &o));
  const char *keys[] = {"core", "config", "asked", "note", "path"};
  const char *vals[] = {get_corename(), get_config(), lib_asked, lib_note, lib_path};
  for (size_t i = 0; i < 5; i++) {
    NAPI_CHECK(napi_create_string_utf8(env, vals[i] ? vals[i] : "", NAPI_AUTO_LENGTH, &v));
    NAPI_CHECK(napi_set_named_property(env, o, keys[i], v));
  }
  return o;
}

static napi_value state(napi_env env, napi_callback_info info) {
  (void)info;
  return state_of(env);
}

// A string argument, or "" for null/undefined; 0 with a JS error otherwise.
static int string_arg(napi_env env, napi_value v, const char *name, char *buf, size_t size) {
  napi_valuetype t;
  char msg[128];
  if (napi_typeof(env, v, &t) != napi_ok) return fail(env, "init", "N-API call failed: napi_typeof");
  if (t == napi_null || t == napi_undefined) {
    buf[0] = 0;
    return 1;
  }
  size_t len = 0;
  if (t != napi_string || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len >= size) {
    snprintf(msg, sizeof msg, "%s must be a string of fewer than %zu bytes, or null", name, size);
    return fail(env, "init", msg);
  }
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) return fail(env, "init", "N-API call failed: napi_get_value_string_utf8");
  return 1;
}

// init(coretype | null, note, libPath | null) -> state(): loads OpenBLAS
// once per process, with OPENBLAS_CORETYPE=coretype when one is given
// (null: OpenBLAS's own choice, or the environment's OPENBLAS_CORETYPE).
// `note` says why, for every thread that asks later.
static napi_value init(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char core[64], note[sizeof lib_note], path[sizeof lib_path];
  NAPI_CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 3) return throw_error(env, "iae_blas.init: wrong number of arguments (want coretype, note, libPath)");
  if (!string_arg(env, argv[0], "coretype", core, sizeof core) || !string_arg(env, argv[1], "note", note, sizeof note) ||
      !string_arg(env, argv[2], "libPath", path, sizeof path))
    return NULL;
  if (!path[0]) snprintf(path, sizeof path, "%s", IAE_OPENBLAS_LIB);
  char err[1200] = "";
  pthread_mutex_lock(&lib_lock);
  if (!atomic_load_explicit(&lib_ready, memory_order_acquire)) {
    char *before = NULL;
    if (core[0]) {
      const char *b = getenv("OPENBLAS_CORETYPE");
      before = b ? strdup(b) : NULL;
      setenv("OPENBLAS_CORETYPE", core, 1);
    }
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (core[0]) {
      if (before) setenv("OPENBLAS_CORETYPE", before, 1);
      else unsetenv("OPENBLAS_CORETYPE");
      free(before);
    }
    if (!lib) {
      const char *e = dlerror();
      snprintf(err, sizeof err, "iae_blas.init: cannot load OpenBLAS (%s): %s", path, e ? e : "unknown error");
    } else {
      sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
      get_corename = (string_fn)dlsym(lib, "openblas_get_corename");
      get_config = (string_fn)dlsym(lib, "openblas_get_config");
      threads_fn set_threads = (threads_fn)dlsym(lib, "openblas_set_num_threads");
      if (!sgemm || !get_corename || !get_config || !set_threads) {
        snprintf(err, sizeof err, "iae_blas.init: %s is not OpenBLAS (cblas_sgemm, openblas_get_corename/_config or openblas_set_num_threads missing)", path);
        dlclose(lib);
      } else {
        // One thread per call: the sweep runs one worker per core.
        set_threads(1);
        snprintf(lib_asked, sizeof lib_asked, "%s", core);
        snprintf(lib_note, sizeof lib_note, "%s", note);
        snprintf(lib_path, sizeof lib_path, "%s", path);
        atomic_store_explicit(&lib_ready, 1, memory_order_release);
      }
    }
  }
  pthread_mutex_unlock(&lib_lock);
  if (err[0]) return throw_error(env, err);
  return state_of(env);
}

NAPI_MODULE_INIT() {
  // Properties are plain writable ones, as for a JS module, so a test can wrap them.
  napi_property_descriptor props[] = {
      {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"conv", NULL, conv, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"init", NULL, init, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"state", NULL, state, NULL, NULL, NULL, napi_default_jsproperty, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}
