/* What srtp_send.c (SRTP sessions and crypto) shares with fanout.c (batched sends). */
#ifndef LIVECAM_SRTP_H
#define LIVECAM_SRTP_H
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#define TAG_LEN 10
/* Keystream made per EVP call: counter blocks for up to this many bytes (RTP packets are at most 1600). */
#define KS_CHUNK 2048

typedef struct {
  /*
   * AES-128 in ECB over counter blocks we lay out ourselves: re-keying an
   * EVP CTR context with each packet's IV cost more than the encryption.
   */
  EVP_CIPHER_CTX *ecb;
  uint8_t salt[14];
  SHA_CTX inner; /* SHA-1 state after (auth key ^ ipad) */
  SHA_CTX outer; /* SHA-1 state after (auth key ^ opad) */
  int32_t id;    /* index in this thread's session table (fanout.c), -1 when not in it */
} session_t;

static inline void be32(uint8_t *out, uint32_t v) {
  out[0] = (uint8_t)(v >> 24); out[1] = (uint8_t)(v >> 16); out[2] = (uint8_t)(v >> 8); out[3] = (uint8_t)v;
}

/* One datagram on a connected socket, never blocking: bytes sent, or -errno (-EAGAIN: the socket buffer is full). */
static inline int32_t send_datagram(int fd, const uint8_t *p, size_t n) {
  ssize_t sent;
  do sent = send(fd, p, n, MSG_DONTWAIT); while (sent < 0 && errno == EINTR);
  return sent < 0 ? -errno : (int32_t)sent;
}

/* Encrypts p[header_length, length) in place and writes the 10-byte tag at p[length]; 0 on a crypto failure. */
int protect(session_t *s, uint8_t *p, size_t length, size_t header_length, uint32_t roc);
napi_value throw_error(napi_env env, const char *code, const char *message);
int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len);

/* The session table sendBatch finds sessions in by number. */
int fanout_register(napi_env env, session_t *s);
void fanout_forget(napi_env env, session_t *s);
/* sessionId(session): the session's number for sendBatch jobs. */
napi_value fanout_session_id(napi_env env, napi_callback_info info);
/* sendBatch(payload, jobs, count, pidAt, pidLong, absSendTime): packets sent. */
napi_value fanout_send_batch(napi_env env, napi_callback_info info);
#endif
