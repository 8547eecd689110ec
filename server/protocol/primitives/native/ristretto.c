/*
 * Native ristretto255 group operations for server/protocol/primitives/backend.ts:
 * a minimal N-API addon over the system libsodium (the same C code the wasm
 * build of libsodium-wrappers-sumo runs, compiled for the host CPU).
 *
 * Every function is synchronous, takes Uint8Array (or Buffer) arguments of
 * exactly 32 bytes (a TypeError otherwise) and returns a fresh Uint8Array:
 *
 *   scalarmult(scalar, point)  s * P; the identity when libsodium refuses an
 *                              identity result (s = 0 mod q, P = identity);
 *                              a RangeError when P is not a valid encoding
 *   scalarmult_base(scalar)    s * G; the identity for s = 0 mod q
 *   add(p, q), sub(p, q)       P + Q, P - Q; a RangeError on an invalid encoding
 *   is_valid_point(p)          canonical ristretto255 encoding (the identity included)
 *
 * Point arguments are refused exactly when libsodium 1.0.22 (the wasm build)
 * refuses them, whatever the version of the system libsodium (see top_bit_clear).
 *
 * The module is context-aware (NAPI_MODULE_INIT), so it loads in the main
 * thread and in any number of worker threads; it keeps no state of its own.
 * Built by scripts/build-native.cjs.
 */
#include <node_api.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define BYTES 32

#define CALL(env, call)                                                                              \
  do {                                                                                               \
    if ((call) != napi_ok) return rethrow(env, #call);                                               \
  } while (0)

/* Surfaces a failed N-API call as a JS exception (unless one is already pending). */
static napi_value rethrow(napi_env env, const char *what) {
  const napi_extended_error_info *info = NULL;
  const char *message = what;
  if (napi_get_last_error_info(env, &info) == napi_ok && info != NULL && info->error_message != NULL)
    message = info->error_message; /* read before any other N-API call replaces it */
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, message);
  return NULL;
}

/* Reads argument `index` as a byte view of exactly 32 bytes; throws a TypeError otherwise. */
static const unsigned char *bytes32_arg(napi_env env, napi_value *args, size_t argc, size_t index,
                                        const char *fn, const char *name) {
  char message[128];
  bool is_typed = false;
  if (index < argc && napi_is_typedarray(env, args[index], &is_typed) == napi_ok && is_typed) {
    napi_typedarray_type type;
    size_t length = 0;
    void *data = NULL;
    if (napi_get_typedarray_info(env, args[index], &type, &length, &data, NULL, NULL) == napi_ok &&
        type == napi_uint8_array) {
      if (length == BYTES) return (const unsigned char *)data;
      snprintf(message, sizeof message, "%s: %s must be %d bytes, got %zu", fn, name, BYTES, length);
      napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", message);
      return NULL;
    }
  }
  snprintf(message, sizeof message, "%s: %s must be a Uint8Array of %d bytes", fn, name, BYTES);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

/* A new Uint8Array holding a copy of 32 bytes. */
static napi_value new_bytes32(napi_env env, const unsigned char *bytes) {
  napi_value buffer, view;
  void *data = NULL;
  CALL(env, napi_create_arraybuffer(env, BYTES, &data, &buffer));
  memcpy(data, bytes, BYTES);
  CALL(env, napi_create_typedarray(env, napi_uint8_array, BYTES, buffer, 0, &view));
  return view;
}

/*
 * A canonical encoding: libsodium before 1.0.19 (Debian 12 ships 1.0.18) ignores
 * the top bit of the last byte when decoding, so it would accept a second,
 * non-canonical encoding of half the points; RFC 9496 and the wasm build
 * (1.0.22) refuse it. Checked here before every decoding libsodium does.
 */
static int top_bit_clear(const unsigned char *p) { return (p[BYTES - 1] & 0x80) == 0; }

static int is_canonical_point(const unsigned char *p) {
  return top_bit_clear(p) && crypto_core_ristretto255_is_valid_point(p) == 1;
}

static napi_value throw_invalid_point(napi_env env, const char *fn) {
  char message[96];
  snprintf(message, sizeof message, "%s: not a valid ristretto255 point encoding", fn);
  napi_throw_range_error(env, "ERR_INVALID_POINT", message);
  return NULL;
}

static napi_value scalarmult(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  CALL(env, napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  const unsigned char *scalar = bytes32_arg(env, args, argc, 0, "scalarmult", "scalar");
  if (scalar == NULL) return NULL;
  const unsigned char *point = bytes32_arg(env, args, argc, 1, "scalarmult", "point");
  if (point == NULL) return NULL;
  if (!top_bit_clear(point)) return throw_invalid_point(env, "scalarmult");
  unsigned char out[BYTES];
  if (crypto_scalarmult_ristretto255(out, scalar, point) != 0) {
    /* libsodium refuses both an invalid point and an identity result: tell them apart. */
    if (!is_canonical_point(point)) return throw_invalid_point(env, "scalarmult");
    memset(out, 0, BYTES);
  }
  napi_value result = new_bytes32(env, out);
  sodium_memzero(out, BYTES);
  return result;
}

static napi_value scalarmult_base(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  CALL(env, napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  const unsigned char *scalar = bytes32_arg(env, args, argc, 0, "scalarmult_base", "scalar");
  if (scalar == NULL) return NULL;
  unsigned char out[BYTES];
  if (crypto_scalarmult_ristretto255_base(out, scalar) != 0) memset(out, 0, BYTES);
  napi_value result = new_bytes32(env, out);
  sodium_memzero(out, BYTES);
  return result;
}

typedef int (*binary_op)(unsigned char *, const unsigned char *, const unsigned char *);

static napi_value point_binary(napi_env env, napi_callback_info info, binary_op op, const char *fn) {
  size_t argc = 2;
  napi_value args[2];
  CALL(env, napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  const unsigned char *p = bytes32_arg(env, args, argc, 0, fn, "p");
  if (p == NULL) return NULL;
  const unsigned char *q = bytes32_arg(env, args, argc, 1, fn, "q");
  if (q == NULL) return NULL;
  unsigned char out[BYTES];
  if (!top_bit_clear(p) || !top_bit_clear(q) || op(out, p, q) != 0) return throw_invalid_point(env, fn);
  return new_bytes32(env, out);
}

static napi_value add(napi_env env, napi_callback_info info) {
  return point_binary(env, info, crypto_core_ristretto255_add, "add");
}

static napi_value sub(napi_env env, napi_callback_info info) {
  return point_binary(env, info, crypto_core_ristretto255_sub, "sub");
}

static napi_value is_valid_point(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1], result;
  CALL(env, napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  const unsigned char *point = bytes32_arg(env, args, argc, 0, "is_valid_point", "point");
  if (point == NULL) return NULL;
  CALL(env, napi_get_boolean(env, is_canonical_point(point), &result));
  return result;
}

NAPI_MODULE_INIT() {
  /* sodium_init is idempotent and thread-safe: 0 on first success, 1 if already done. */
  if (sodium_init() < 0) {
    napi_throw_error(env, NULL, "ristretto addon: sodium_init failed");
    return NULL;
  }
  napi_property_descriptor functions[] = {
      {"scalarmult", NULL, scalarmult, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scalarmult_base", NULL, scalarmult_base, NULL, NULL, NULL, napi_enumerable, NULL},
      {"add", NULL, add, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sub", NULL, sub, NULL, NULL, NULL, napi_enumerable, NULL},
      {"is_valid_point", NULL, is_valid_point, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CALL(env, napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions));
  return exports;
}
