/*
 * sendBatch: one call per packet the publisher sent, for all viewers at
 * once. Each job is a viewer's header (sequence number, timestamp, SSRC,
 * VP8 picture id, abs-send-time id) and its socket; the shared payload is
 * copied behind the header, protected with the viewer's SRTP session and
 * sent. One JS-to-C crossing per source packet instead of one per viewer:
 * at a hundred viewers the per-call cost (argument checks, Buffer lookups)
 * and the per-viewer header writes in JavaScript were a third of the
 * forwarder's CPU.
 *
 * Sessions are found by number in a per-thread table (N-API instance data),
 * so the jobs can be a flat Int32Array the forwarder fills without
 * allocating.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "srtp.h"

/*
 * Int32 words per job: session id, fd, (marker|pt) << 16 | seq, timestamp, ssrc, roc, picture id, and the
 * header extension: abs-send-time id in bits 0-3, or a transport-wide-cc id in bits 4-7 with the packet's
 * transport sequence number in bits 16-31 (written instead of abs-send-time: its feedback replaces REMB).
 */
#define JOB_STRIDE 8
#define MAX_PAYLOAD 1600
/* RTP header we write: 12 bytes, plus a one-byte-header extension block holding abs-send-time. */
#define MAX_HEADER 20
#define MAX_SESSIONS (1 << 20)

typedef struct {
  session_t **sessions;
  int32_t cap;
  int32_t hint; /* where the search for a free slot starts */
  uint8_t scratch[MAX_HEADER + MAX_PAYLOAD + TAG_LEN];
} fanout_t;

static void table_free(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  fanout_t *f = data;
  for (int32_t i = 0; i < f->cap; i++) if (f->sessions[i]) f->sessions[i]->id = -1;
  free(f->sessions);
  free(f);
}

/* This thread's table; created on first use when `create`. */
static fanout_t *table(napi_env env, bool create) {
  fanout_t *f = NULL;
  if (napi_get_instance_data(env, (void **)&f) == napi_ok && f) return f;
  if (!create) return NULL;
  f = calloc(1, sizeof *f);
  if (!f) return NULL;
  if (napi_set_instance_data(env, f, table_free, NULL) != napi_ok) { free(f); return NULL; }
  return f;
}

int fanout_register(napi_env env, session_t *s) {
  fanout_t *f = table(env, true);
  if (!f) return 0;
  for (int32_t n = 0; n < f->cap; n++) {
    int32_t i = (f->hint + n) % f->cap;
    if (!f->sessions[i]) { f->sessions[i] = s; s->id = i; f->hint = i + 1; return 1; }
  }
  if (f->cap >= MAX_SESSIONS) return 0;
  int32_t cap = f->cap ? f->cap * 2 : 64;
  session_t **grown = realloc(f->sessions, sizeof *grown * (size_t)cap);
  if (!grown) return 0;
  memset(grown + f->cap, 0, sizeof *grown * (size_t)(cap - f->cap));
  f->sessions = grown;
  grown[f->cap] = s; s->id = f->cap; f->hint = f->cap + 1;
  f->cap = cap;
  return 1;
}

void fanout_forget(napi_env env, session_t *s) {
  fanout_t *f = table(env, false);
  if (f && s->id >= 0 && s->id < f->cap && f->sessions[s->id] == s) f->sessions[s->id] = NULL;
  s->id = -1;
}

napi_value fanout_session_id(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; session_t *s;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 1 || napi_get_value_external(env, argv[0], (void **)&s) != napi_ok) return throw_error(env, "SFU_NATIVE_ARGS", "sessionId(session)");
  napi_value out;
  napi_create_int32(env, s->id, &out);
  return out;
}

napi_value fanout_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 6; napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *payload; size_t plen; void *jd; size_t njobs; napi_typedarray_type t; napi_value ab; size_t off;
  uint32_t count, abs; int32_t pid_at; bool pid_long, is;
  if (argc != 6 || !get_bytes(env, argv[0], &payload, &plen) ||
      napi_is_typedarray(env, argv[1], &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, argv[1], &t, &njobs, &jd, &ab, &off) != napi_ok || t != napi_int32_array ||
      napi_get_value_uint32(env, argv[2], &count) != napi_ok || napi_get_value_int32(env, argv[3], &pid_at) != napi_ok ||
      napi_get_value_bool(env, argv[4], &pid_long) != napi_ok || napi_get_value_uint32(env, argv[5], &abs) != napi_ok)
    return throw_error(env, "SFU_NATIVE_ARGS", "sendBatch(payload, jobs: Int32Array, count, pidAt, pidLong, absSendTime)");
  size_t pid_len = pid_long ? 2 : 1;
  if ((size_t)count * JOB_STRIDE > njobs || plen > MAX_PAYLOAD || (pid_at >= 0 && (size_t)pid_at + pid_len > plen))
    return throw_error(env, "SFU_NATIVE_RANGE", "jobs, payload or picture id out of range");
  fanout_t *f = table(env, false);
  const int32_t *jobs = jd;
  int32_t sent = 0;
  for (uint32_t i = 0; f && i < count; i++) {
    const int32_t *j = jobs + (size_t)i * JOB_STRIDE;
    int32_t id = j[0], fd = j[1], ext = j[7];
    int32_t abs_id = ext & 0xf, twcc_id = (ext >> 4) & 0xf;
    uint32_t twcc_seq = ((uint32_t)ext >> 16) & 0xffff;
    uint32_t w = (uint32_t)j[2], ts = (uint32_t)j[3], ssrc = (uint32_t)j[4], roc = (uint32_t)j[5], pid = (uint32_t)j[6];
    /* A job naming no live session or socket is skipped: the forwarder counts only what was sent. */
    if (id < 0 || id >= f->cap || !f->sessions[id] || fd < 0 || abs_id > 14 || twcc_id > 14 || (ext & 0xff00)) continue;
    uint8_t *p = f->scratch;
    p[0] = abs_id || twcc_id ? 0x90 : 0x80;
    p[1] = (uint8_t)(w >> 16); p[2] = (uint8_t)(w >> 8); p[3] = (uint8_t)w;
    be32(p + 4, ts);
    be32(p + 8, ssrc);
    size_t hl = 12;
    if (twcc_id) {
      p[12] = 0xbe; p[13] = 0xde; p[14] = 0; p[15] = 1;
      p[16] = (uint8_t)((twcc_id << 4) | 1);
      p[17] = (uint8_t)(twcc_seq >> 8); p[18] = (uint8_t)twcc_seq; p[19] = 0;
      hl = 20;
    } else if (abs_id) {
      p[12] = 0xbe; p[13] = 0xde; p[14] = 0; p[15] = 1;
      p[16] = (uint8_t)((abs_id << 4) | 2);
      p[17] = (uint8_t)(abs >> 16); p[18] = (uint8_t)(abs >> 8); p[19] = (uint8_t)abs;
      hl = 20;
    }
    memcpy(p + hl, payload, plen);
    if (pid_at >= 0) {
      uint8_t *q = p + hl + pid_at;
      if (pid_long) { q[0] = (uint8_t)(0x80 | ((pid >> 8) & 0x7f)); q[1] = (uint8_t)pid; }
      else q[0] = (uint8_t)(pid & 0x7f);
    }
    if (protect(f->sessions[id], p, hl + plen, hl, roc) && send_datagram(fd, p, hl + plen + TAG_LEN) >= 0) sent++;
  }
  napi_value out;
  napi_create_int32(env, sent, &out);
  return out;
}
