/*
 * SRTP protect (AES-128-CM + HMAC-SHA1-80, RFC 3711) and send, in one call
 * per forwarded packet. The forwarder's cost per packet was dominated by
 * JavaScript crypto calls, the Buffers they allocate (which the GC must
 * sweep) and dgram's per-send objects; here the packet is encrypted in place
 * with contexts made once per session and written to the viewer's connected
 * UDP socket with one send(2). Node's own OpenSSL is used (addons link
 * against the symbols node exports), so no library is bundled.
 *
 * JavaScript keeps the rollover counters, the choice of what each viewer
 * gets, and the TypeScript fallback (sfu/rtp/SrtpEncryptor.ts) that produces
 * the same bytes when this addon is not built. fanout.c writes the headers
 * and sends one source packet to many viewers with these sessions.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "srtp.h"

static void session_free(napi_env env, void *data, void *hint) {
  (void)hint;
  session_t *s = data;
  fanout_forget(env, s);
  if (s->ecb) EVP_CIPHER_CTX_free(s->ecb);
  OPENSSL_cleanse(s, sizeof *s);
  free(s);
}

napi_value throw_error(napi_env env, const char *code, const char *message) {
  napi_throw_error(env, code, message);
  return NULL;
}

int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  void *d; size_t l; bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type t; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &t, &l, &d, &ab, &off) != napi_ok || t != napi_uint8_array) return 0;
  *data = d; *len = l;
  return 1;
}

/* createSession(key: Uint8Array(16), salt: Uint8Array(14), authKey: Uint8Array(20)) */
static napi_value create_session(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *key, *salt, *auth; size_t kl, sl, al;
  if (argc != 3 || !get_bytes(env, argv[0], &key, &kl) || !get_bytes(env, argv[1], &salt, &sl) ||
      !get_bytes(env, argv[2], &auth, &al) || kl != 16 || sl != 14 || al != 20)
    return throw_error(env, "SFU_NATIVE_ARGS", "createSession(key[16], salt[14], authKey[20])");
  session_t *s = calloc(1, sizeof *s);
  if (!s) return throw_error(env, "SFU_NATIVE_MEMORY", "out of memory");
  s->id = -1;
  s->ecb = EVP_CIPHER_CTX_new();
  if (!s->ecb || EVP_EncryptInit_ex(s->ecb, EVP_aes_128_ecb(), NULL, key, NULL) != 1 ||
      EVP_CIPHER_CTX_set_padding(s->ecb, 0) != 1) {
    session_free(env, s, NULL);
    return throw_error(env, "SFU_NATIVE_CRYPTO", "AES-128 unavailable");
  }
  memcpy(s->salt, salt, 14);
  uint8_t pad[64];
  memset(pad, 0, sizeof pad);
  memcpy(pad, auth, 20);
  for (int i = 0; i < 64; i++) pad[i] ^= 0x36;
  SHA1_Init(&s->inner); SHA1_Update(&s->inner, pad, 64);
  for (int i = 0; i < 64; i++) pad[i] ^= 0x36 ^ 0x5c;
  SHA1_Init(&s->outer); SHA1_Update(&s->outer, pad, 64);
  OPENSSL_cleanse(pad, sizeof pad);
  napi_value out;
  if (!fanout_register(env, s)) {
    session_free(env, s, NULL);
    return throw_error(env, "SFU_NATIVE_MEMORY", "cannot register session");
  }
  if (napi_create_external(env, s, session_free, NULL, &out) != napi_ok) {
    session_free(env, s, NULL);
    return throw_error(env, "SFU_NATIVE_MEMORY", "cannot wrap session");
  }
  return out;
}

/* AES-CM keystream XOR over data[0, n) for (SSRC, index = roc << 16 | seq) (RFC 3711 4.1.1). */
static int ctr_xor(session_t *s, const uint8_t *ssrc, uint32_t roc, uint32_t seq, uint8_t *data, size_t n) {
  uint8_t iv[16];
  memset(iv, 0, sizeof iv);
  memcpy(iv, s->salt, 14);
  for (int i = 0; i < 4; i++) iv[4 + i] ^= ssrc[i];
  iv[8] ^= (uint8_t)(roc >> 24); iv[9] ^= (uint8_t)(roc >> 16);
  iv[10] ^= (uint8_t)(roc >> 8); iv[11] ^= (uint8_t)roc;
  iv[12] ^= (uint8_t)(seq >> 8); iv[13] ^= (uint8_t)seq;
  /* The IV's low 16 bits are zero, so block j's counter is the IV with j in its last two bytes (j < 2^16). */
  uint8_t blocks[KS_CHUNK], ks[KS_CHUNK];
  uint32_t j = 0;
  for (size_t done = 0; done < n; done += KS_CHUNK) {
    size_t len = n - done < KS_CHUNK ? n - done : KS_CHUNK;
    size_t nb = (len + 15) / 16;
    if (j + nb > 0x10000) return 0;
    for (size_t b = 0; b < nb; b++, j++) {
      memcpy(blocks + 16 * b, iv, 14);
      blocks[16 * b + 14] = (uint8_t)(j >> 8);
      blocks[16 * b + 15] = (uint8_t)j;
    }
    int outl = 0;
    if (EVP_EncryptUpdate(s->ecb, ks, &outl, blocks, (int)(nb * 16)) != 1 || outl != (int)(nb * 16)) return 0;
    uint8_t *d = data + done;
    for (size_t i = 0; i < len; i++) d[i] ^= ks[i];
  }
  return 1;
}

/* HMAC-SHA1 of data[0, n) followed by `extra` (0 or 4 bytes), truncated to TAG_LEN. */
static void auth_tag(session_t *s, const uint8_t *data, size_t n, const uint8_t *extra, size_t extra_len, uint8_t *tag) {
  uint8_t digest[SHA_DIGEST_LENGTH];
  SHA_CTX c = s->inner;
  SHA1_Update(&c, data, n);
  if (extra_len) SHA1_Update(&c, extra, extra_len);
  SHA1_Final(digest, &c);
  c = s->outer;
  SHA1_Update(&c, digest, SHA_DIGEST_LENGTH);
  SHA1_Final(digest, &c);
  memcpy(tag, digest, TAG_LEN);
}

/* Encrypts packet[headerLength..length) in place and writes the 10-byte tag at packet[length]. */
int protect(session_t *s, uint8_t *p, size_t length, size_t header_length, uint32_t roc) {
  if (!ctr_xor(s, p + 8, roc, ((uint32_t)p[2] << 8) | p[3], p + header_length, length - header_length)) return 0;
  uint8_t rocbe[4];
  be32(rocbe, roc);
  auth_tag(s, p, length, rocbe, 4, p + length);
  return 1;
}

/* Checks the tag of the SRTP packet p[0, length) and decrypts it in place; 0 when it is not authentic. */
static int unprotect(session_t *s, uint8_t *p, size_t length, size_t header_length, uint32_t roc) {
  size_t n = length - TAG_LEN;
  uint8_t rocbe[4], tag[TAG_LEN];
  be32(rocbe, roc);
  auth_tag(s, p, n, rocbe, 4, tag);
  if (CRYPTO_memcmp(tag, p + n, TAG_LEN) != 0) return 0;
  return ctr_xor(s, p + 8, roc, ((uint32_t)p[2] << 8) | p[3], p + header_length, n - header_length);
}

/*
 * Shared argument parsing: (session, buffer, offset, length, headerLength, roc[, fd]).
 * Returns the packet pointer or NULL after throwing.
 */
static uint8_t *packet_args(napi_env env, napi_callback_info info, size_t want, size_t tag_room, napi_value *argv,
                            session_t **s, size_t *length, size_t *header_length, uint32_t *roc) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *buf; size_t buflen; uint32_t offset, len, hl;
  if (argc != want || napi_get_value_external(env, argv[0], (void **)s) != napi_ok || !get_bytes(env, argv[1], &buf, &buflen) ||
      napi_get_value_uint32(env, argv[2], &offset) != napi_ok || napi_get_value_uint32(env, argv[3], &len) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &hl) != napi_ok || napi_get_value_uint32(env, argv[5], roc) != napi_ok) {
    throw_error(env, "SFU_NATIVE_ARGS", "(session, buffer, offset, length, headerLength, roc[, fd])");
    return NULL;
  }
  /* 12-byte RTP header at least; when protecting, the tag must fit after the packet. */
  if (hl < 12 || hl > len || (size_t)offset + len + tag_room > buflen) {
    throw_error(env, "SFU_NATIVE_RANGE", "packet does not fit the buffer");
    return NULL;
  }
  *length = len; *header_length = hl;
  return buf + offset;
}

/* protect(session, buffer, offset, length, headerLength, roc): the SRTP packet is buffer[offset, offset + length + 10). */
static napi_value protect_only(napi_env env, napi_callback_info info) {
  napi_value argv[6]; session_t *s; size_t len, hl; uint32_t roc;
  uint8_t *p = packet_args(env, info, 6, TAG_LEN, argv, &s, &len, &hl, &roc);
  if (!p) return NULL;
  if (!protect(s, p, len, hl, roc)) return throw_error(env, "SFU_NATIVE_CRYPTO", "SRTP protect failed");
  return NULL;
}

/* protectAndSend(session, buffer, offset, length, headerLength, roc, fd): bytes sent, or -errno (EAGAIN: the socket is full). */
static napi_value protect_and_send(napi_env env, napi_callback_info info) {
  napi_value argv[7]; session_t *s; size_t len, hl; uint32_t roc; int32_t fd;
  uint8_t *p = packet_args(env, info, 7, TAG_LEN, argv, &s, &len, &hl, &roc);
  if (!p) return NULL;
  if (napi_get_value_int32(env, argv[6], &fd) != napi_ok || fd < 0) return throw_error(env, "SFU_NATIVE_ARGS", "fd must be a descriptor");
  if (!protect(s, p, len, hl, roc)) return throw_error(env, "SFU_NATIVE_CRYPTO", "SRTP protect failed");
  napi_value out;
  napi_create_int32(env, send_datagram(fd, p, len + TAG_LEN), &out);
  return out;
}

/* unprotect(session, buffer, offset, length, headerLength, roc): true when authentic (then decrypted in place; the RTP packet is length - 10 bytes). */
static napi_value unprotect_rtp(napi_env env, napi_callback_info info) {
  napi_value argv[6]; session_t *s; size_t len, hl; uint32_t roc;
  uint8_t *p = packet_args(env, info, 6, 0, argv, &s, &len, &hl, &roc);
  if (!p) return NULL;
  napi_value out;
  napi_get_boolean(env, len >= hl + TAG_LEN && unprotect(s, p, len, hl, roc), &out);
  return out;
}

/* Reads (session, buffer, offset, length[, index[, fd]]) for the SRTCP calls, between min and max arguments. */
static uint8_t *rtcp_args(napi_env env, napi_callback_info info, size_t min, size_t max, session_t **s, size_t *length,
                          size_t *room, uint32_t *index, int32_t *fd) {
  size_t argc = 6; napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *buf; size_t buflen; uint32_t offset, len;
  if (argc < min || argc > max || napi_get_value_external(env, argv[0], (void **)s) != napi_ok || !get_bytes(env, argv[1], &buf, &buflen) ||
      napi_get_value_uint32(env, argv[2], &offset) != napi_ok || napi_get_value_uint32(env, argv[3], &len) != napi_ok ||
      (argc >= 5 && napi_get_value_uint32(env, argv[4], index) != napi_ok) ||
      (argc >= 6 && (napi_get_value_int32(env, argv[5], fd) != napi_ok || *fd < 0))) {
    throw_error(env, "SFU_NATIVE_ARGS", "(session, buffer, offset, length[, index[, fd]])");
    return NULL;
  }
  if ((size_t)offset + len > buflen) { throw_error(env, "SFU_NATIVE_RANGE", "packet does not fit the buffer"); return NULL; }
  *length = len; *room = buflen - offset;
  return buf + offset;
}

/*
 * protectRtcp(session, buffer, offset, length, index[, fd]): encrypts the compound RTCP packet in place and
 * appends E|index and the tag (14 bytes). With fd, also sends it on that connected socket: bytes sent or -errno.
 */
static napi_value protect_rtcp(napi_env env, napi_callback_info info) {
  session_t *s; size_t len, room; uint32_t index = 0; int32_t fd = -1;
  uint8_t *p = rtcp_args(env, info, 5, 6, &s, &len, &room, &index, &fd);
  if (!p) return NULL;
  if (len < 8 || room < len + 4 + TAG_LEN || index > 0x7fffffff) return throw_error(env, "SFU_NATIVE_RANGE", "RTCP packet or index out of range");
  if (!ctr_xor(s, p + 4, index >> 16, index & 0xffff, p + 8, len - 8)) return throw_error(env, "SFU_NATIVE_CRYPTO", "SRTCP protect failed");
  be32(p + len, index | 0x80000000u);
  auth_tag(s, p, len + 4, NULL, 0, p + len + 4);
  if (fd < 0) return NULL;
  napi_value out;
  napi_create_int32(env, send_datagram(fd, p, len + 4 + TAG_LEN), &out);
  return out;
}

/* unprotectRtcp(session, buffer, offset, length): true when authentic; the RTCP packet is then the first length - 14 bytes, decrypted. */
static napi_value unprotect_rtcp(napi_env env, napi_callback_info info) {
  session_t *s; size_t len, room; uint32_t unused; int32_t no_fd;
  uint8_t *p = rtcp_args(env, info, 4, 4, &s, &len, &room, &unused, &no_fd);
  if (!p) return NULL;
  bool ok = false;
  if (len >= 8 + 4 + TAG_LEN) {
    size_t n = len - TAG_LEN;
    uint8_t tag[TAG_LEN];
    auth_tag(s, p, n, NULL, 0, tag);
    if (CRYPTO_memcmp(tag, p + n, TAG_LEN) == 0) {
      uint32_t word = ((uint32_t)p[n - 4] << 24) | ((uint32_t)p[n - 3] << 16) | ((uint32_t)p[n - 2] << 8) | p[n - 1];
      uint32_t index = word & 0x7fffffff;
      ok = !(word & 0x80000000u) || ctr_xor(s, p + 4, index >> 16, index & 0xffff, p + 8, n - 4 - 8);
    }
  }
  napi_value out;
  napi_get_boolean(env, ok, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "createSession", NULL, create_session, NULL, NULL, NULL, napi_enumerable, NULL },
    { "protect", NULL, protect_only, NULL, NULL, NULL, napi_enumerable, NULL },
    { "protectAndSend", NULL, protect_and_send, NULL, NULL, NULL, napi_enumerable, NULL },
    { "unprotect", NULL, unprotect_rtp, NULL, NULL, NULL, napi_enumerable, NULL },
    { "protectRtcp", NULL, protect_rtcp, NULL, NULL, NULL, napi_enumerable, NULL },
    { "unprotectRtcp", NULL, unprotect_rtcp, NULL, NULL, NULL, napi_enumerable, NULL },
    { "sessionId", NULL, fanout_session_id, NULL, NULL, NULL, napi_enumerable, NULL },
    { "sendBatch", NULL, fanout_send_batch, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value eagain;
  napi_create_int32(env, EAGAIN, &eagain);
  napi_set_named_property(env, exports, "EAGAIN", eagain);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
