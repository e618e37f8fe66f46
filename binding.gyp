# The optional native GEMM addon (native/iae_blas.c), built by node-gyp into
# build/Release/iae_blas.node, where src/engine/native/blas.ts loads it.
# npm's install script runs node-gyp through scripts/build-native.mjs, which
# makes a failed build optional; `npx node-gyp rebuild` works by hand too.
# OpenBLAS is found by scripts/native-config.mjs (IAE_OPENBLAS_DIR, Homebrew)
# and not linked: the addon dlopen()s it at run time (the C file says why).
{
  'targets': [
    {
      'target_name': 'iae_blas',
      'sources': ['native/iae_blas.c'],
      'include_dirs': ['<!@(node scripts/native-config.mjs include_dirs)'],
      'defines': ['IAE_OPENBLAS_LIB="<!(node scripts/native-config.mjs lib)"'],
      # An undeclared function would be taken as returning int: a pointer cut
      # in half. Refuse that. -O3: the im2col loops are ours, not OpenBLAS's.
      # (-fPIC, -shared and -pthread come from node-gyp and Node's common.gypi.)
      'cflags_c': ['-O3', '-std=c11', '-Wall', '-Werror=implicit-function-declaration'],
      'conditions': [
        ['OS=="linux"', {'libraries': ['-ldl', '-lm']}],
        # Node's symbols are resolved when the addon loads; macOS's linker
        # must be told so (node-gyp's addon.gypi says it too; kept explicit).
        ['OS=="mac"', {
          'xcode_settings': {
            'GCC_C_LANGUAGE_STANDARD': 'c11',
            'GCC_OPTIMIZATION_LEVEL': '3',
            'OTHER_CFLAGS': ['-Wall', '-Werror=implicit-function-declaration'],
            'OTHER_LDFLAGS': ['-undefined dynamic_lookup'],
          },
        }],
      ],
    },
  ],
}
