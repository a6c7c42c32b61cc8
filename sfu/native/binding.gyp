{
  "targets": [
    {
      "target_name": "srtp_send",
      "sources": ["srtp_send.c", "fanout.c"],
      "cflags": ["-O3", "-Wall", "-Wno-deprecated-declarations"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
